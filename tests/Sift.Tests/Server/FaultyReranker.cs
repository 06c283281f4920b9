using Sift.Retrieval;

namespace Sift.Tests.Server;

/// <summary>Put around the served reranker (RetrievalHost.RerankerDecorator): throws instead of scoring.</summary>
internal sealed class FaultyReranker(IPassageReranker inner, Exception failure) : IPassageReranker
{
    public string ModelName => inner.ModelName;

    public Task<PassageScores> ScoreAsync(string query, IReadOnlyList<string> passages, string? instruction, CancellationToken cancellationToken) =>
        Task.FromException<PassageScores>(failure);
}
