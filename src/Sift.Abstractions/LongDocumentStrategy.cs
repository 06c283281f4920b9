namespace Sift.Abstractions;

/// <summary>What happens to an input longer than the model's input limit.</summary>
public enum LongDocumentStrategy
{
    /// <summary>Keep its first tokens (the official code's behaviour).</summary>
    Truncate,

    /// <summary>Read it whole in overlapping windows (Sift.Engine.LongDocuments.WindowPlanner in the engine): embeddings average them, rerank scores keep the best.</summary>
    Chunk,

    /// <summary>Refuse it.</summary>
    Error,
}
