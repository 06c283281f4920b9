using Sift.Engine;

namespace Sift.Retrieval;

/// <summary>The in-process engine as an <see cref="IPassageReranker"/>.</summary>
public sealed class EnginePassageReranker(Reranker reranker) : IPassageReranker
{
    /// <inheritdoc />
    public string ModelName => reranker.Name;

    /// <inheritdoc />
    public Task<PassageScores> ScoreAsync(string query, IReadOnlyList<string> passages, string? instruction, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var scores = reranker.Score(query, passages, new RerankOptions { Instruction = instruction });
        return Task.FromResult(new PassageScores(scores.Select(s => s.Score).ToArray(), scores.Sum(s => s.TokenCount)));
    }
}
