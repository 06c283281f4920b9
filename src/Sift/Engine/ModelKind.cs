namespace Sift.Engine;

/// <summary>What a converted GGUF is for: llama.cpp pools embeddings on the last token and rerankers by rank.</summary>
public enum ModelKind
{
    /// <summary>Qwen3-Embedding.</summary>
    Embedding,

    /// <summary>Qwen3-Reranker.</summary>
    Reranker,
}
