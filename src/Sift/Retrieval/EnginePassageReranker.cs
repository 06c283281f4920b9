using Sift.Engine;

namespace Sift.Retrieval;

/// <summary>The in-process engine as an <see cref="IPassageReranker"/>; NaN or infinite logits are a <see cref="NonFiniteOutputException"/>.</summary>
public sealed class EnginePassageReranker(Reranker reranker) : IPassageReranker
{
    /// <inheritdoc />
    public string ModelName => reranker.Name;

    /// <inheritdoc />
    public Task<PassageScores> ScoreAsync(string query, IReadOnlyList<string> passages, string? instruction, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var scores = reranker.Score(query, passages, new RerankOptions { Instruction = instruction });
        // A score is read from two logits: NaN or infinity in either makes the ranking meaningless.
        NonFiniteOutputException.ThrowIfAny(reranker.Name, scores.Select(s => new[] { s.LogitYes, s.LogitNo }).ToArray(),
            i => reranker.Model.ExplainNonFinite(reranker.Tokenizer.Encode(query + "\n" + passages[i], addSpecialTokens: false)));
        return Task.FromResult(new PassageScores(scores.Select(s => s.Score).ToArray(), scores.Sum(s => s.TokenCount)));
    }
}
