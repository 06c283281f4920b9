using Sift.Engine;
using Sift.Retrieval;
using Sift.Server.Hosting;

namespace Sift.Server.Retrieval;

/// <summary>The served reranker as the search pipeline's <see cref="IPassageReranker"/>, through its scheduler, scoring (and checking for NaN or infinity) as /v1/rerank does.</summary>
internal sealed class ScheduledPassageReranker(ServedReranker model) : IPassageReranker
{
    public string ModelName => model.Name;

    public async Task<PassageScores> ScoreAsync(string query, IReadOnlyList<string> passages, string? instruction, CancellationToken cancellationToken)
    {
        var reranker = model.Reranker;
        var options = new RerankOptions { Instruction = instruction };
        // The template, instruction and query are tokenized once for all the passages, not once each.
        var prompts = reranker.BuildInputs(query, passages, options);
        var result = await model.Scheduler.SubmitAsync(query, options, prompts, cancellationToken);
        // As /v1/rerank: NaN or infinity is refused naming the passage, never ranked by (a search falls back: reranker_failed).
        NonFiniteOutputException.ThrowIfAny(model.Name, result.Vectors, i => reranker.Model.ExplainNonFinite(prompts[i]));
        var scores = result.Vectors.Select((hidden, i) => reranker.ScoreHidden(i, hidden, prompts[i].Length).Score).ToArray();
        return new PassageScores(scores, prompts.Sum(p => p.Length));
    }
}
