namespace Sift.Verification;

/// <summary>A query–document pair whose answer is known: a working reranker says yes to it when <paramref name="Relevant"/>, no otherwise.</summary>
/// <param name="Query">The query.</param>
/// <param name="Document">The document.</param>
/// <param name="Relevant">Whether the document answers the query.</param>
/// <param name="Instruction">The task; null means the default.</param>
public sealed record ObviousPair(string Query, string Document, bool Relevant, string? Instruction = null)
{
    /// <summary>
    /// The model card's queries against its documents: each document answers its own query and
    /// has nothing to do with the other. Obvious to a trained Qwen3-Reranker; not to random weights.
    /// </summary>
    public static IReadOnlyList<ObviousPair> ModelCard { get; } =
    [
        new(ModelCardExample.Queries[0], ModelCardExample.Documents[0], Relevant: true),
        new(ModelCardExample.Queries[0], ModelCardExample.Documents[1], Relevant: false),
        new(ModelCardExample.Queries[1], ModelCardExample.Documents[1], Relevant: true),
        new(ModelCardExample.Queries[1], ModelCardExample.Documents[0], Relevant: false),
    ];
}
