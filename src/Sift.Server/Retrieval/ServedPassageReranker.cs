using Sift.Retrieval;
using Sift.Server.Errors;
using Sift.Server.Hosting;

namespace Sift.Server.Retrieval;

/// <summary>
/// The server's reranker as the search pipeline sees it: the served model, found when a search
/// needs it, scored through its scheduler (<see cref="ScheduledPassageReranker"/>). What makes it
/// unavailable is said as a <see cref="RerankerUnavailableException"/>, so the search falls back
/// with the reason instead of failing: still loading or shutting down is "reranker_not_loaded",
/// a refusal for capacity (429, or a pass out of memory) "reranker_overloaded". Any other failure is the pipeline's "reranker_failed".
/// </summary>
internal sealed class ServedPassageReranker(ModelRegistry registry) : IPassageReranker
{
    /// <summary>The reranker's name; while it loads, the name it will have is not known yet.</summary>
    public string ModelName => registry.RerankerName;

    public async Task<PassageScores> ScoreAsync(string query, IReadOnlyList<string> passages, string? instruction, CancellationToken cancellationToken)
    {
        try
        {
            var model = registry.GetReranker(null);
            return await new ScheduledPassageReranker(model).ScoreAsync(query, passages, instruction, cancellationToken);
        }
        catch (ApiException e) when (e.Status == StatusCodes.Status429TooManyRequests || e.Code == Scheduling.ForwardScheduler.OverloadedCode)
        {
            throw new RerankerUnavailableException(FallbackReason.RerankerOverloaded, e.Message, e);
        }
        catch (ApiException e) when (e.Status == StatusCodes.Status503ServiceUnavailable)
        {
            throw new RerankerUnavailableException(FallbackReason.RerankerNotLoaded, e.Message, e);
        }
    }
}
