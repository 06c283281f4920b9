namespace Sift.Verification;

/// <summary>
/// The example of the Qwen3-Embedding and Qwen3-Reranker model cards: two queries, two documents,
/// and the query–document similarities the card publishes for Qwen3-Embedding-0.6B
/// (Hugging Face transformers, default task).
/// </summary>
public static class ModelCardExample
{
    /// <summary>The card's queries, embedded with the default task.</summary>
    public static readonly IReadOnlyList<string> Queries = ["What is the capital of China?", "Explain gravity"];

    /// <summary>The card's documents; document i answers query i.</summary>
    public static readonly IReadOnlyList<string> Documents =
    [
        "The capital of China is Beijing.",
        "Gravity is a force that attracts two bodies towards each other. It gives weight to physical objects and is responsible for the movement of planets around the sun.",
    ];

    /// <summary>Qwen3-Embedding-0.6B's published similarities: row = query, column = document.</summary>
    public static readonly double[,] Embedding06BSimilarities =
    {
        { 0.7645568251609802, 0.14142508804798126 },
        { 0.13549736142158508, 0.5999549627304077 },
    };

    /// <summary>How far a bf16/f16/f32 model may be from the published numbers (the card's and vLLM's differ by 2.5e-3).</summary>
    public const double FloatTolerance = 1e-2;

    /// <summary>How far an int8 (Q8_0) model may be.</summary>
    public const double Int8Tolerance = 3e-2;
}
