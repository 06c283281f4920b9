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
        var options = new RerankOptions { Instruction = instruction };
        var scores = reranker.Score(query, passages, options);
        // A score is read from two logits: NaN or infinity in either is refused, as the server's reranker refuses it.
        for (var i = 0; i < scores.Count; i++)
        {
            if (!float.IsFinite(scores[i].LogitYes) || !float.IsFinite(scores[i].LogitNo))
            {
                throw new NonFiniteOutputException(reranker.Name, i, reranker.Model.ExplainNonFinite(reranker.BuildInput(query, passages[i], options)));
            }
        }
        return Task.FromResult(new PassageScores(scores.Select(s => s.Score).ToArray(), scores.Sum(s => s.TokenCount)));
    }
}
