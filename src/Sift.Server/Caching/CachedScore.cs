using System.ComponentModel;

namespace Sift.Server.Caching;

/// <summary>One (query, document) pair's rerank result, as cached: everything a response says about it.</summary>
[ImmutableObject(true)]
internal sealed class CachedScore(float score, float logitYes, float logitNo, int tokenCount)
{
    public float Score { get; } = score;

    public float LogitYes { get; } = logitYes;

    public float LogitNo { get; } = logitNo;

    public int TokenCount { get; } = tokenCount;
}
