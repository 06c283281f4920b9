namespace Sift.Evaluation;

/// <summary>What <c>sift eval</c> measured on one dataset.</summary>
/// <param name="Dataset">The BEIR folder's name.</param>
/// <param name="Collection">The collection searched.</param>
/// <param name="Model">The embedding model.</param>
/// <param name="Reranker">The reranker, when one was given.</param>
/// <param name="Documents">Documents in the corpus.</param>
/// <param name="Queries">Judged queries evaluated.</param>
/// <param name="IndexedDocuments">Documents indexed by this run (0 when the collection was already complete).</param>
/// <param name="IndexSeconds">Time spent indexing.</param>
/// <param name="Modes">One result per search mode.</param>
/// <param name="WallSeconds">The whole run, loading and indexing included.</param>
public sealed record EvaluationReport(
    string Dataset,
    string Collection,
    string Model,
    string? Reranker,
    int Documents,
    int Queries,
    int IndexedDocuments,
    double IndexSeconds,
    IReadOnlyList<ModeResult> Modes,
    double WallSeconds);
