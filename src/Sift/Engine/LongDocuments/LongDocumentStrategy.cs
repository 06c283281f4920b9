namespace Sift.Engine.LongDocuments;

/// <summary>What happens to an input longer than the model's input limit.</summary>
public enum LongDocumentStrategy
{
    /// <summary>Keep its first tokens (the official code's behaviour).</summary>
    Truncate,

    /// <summary>Read it whole in overlapping windows (<see cref="WindowPlanner"/>): embeddings average them, rerank scores keep the best.</summary>
    Chunk,

    /// <summary>Refuse it.</summary>
    Error,
}
