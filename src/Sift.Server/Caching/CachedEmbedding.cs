using System.ComponentModel;

namespace Sift.Server.Caching;

/// <summary>One input's finished embedding and the tokens it took (for the response's usage), as cached.</summary>
/// <remarks>Immutable by contract (nobody writes to <see cref="Vector"/>), so the in-process level keeps the object itself.</remarks>
[ImmutableObject(true)]
internal sealed class CachedEmbedding(float[] vector, int tokenCount)
{
    public float[] Vector { get; } = vector;

    public int TokenCount { get; } = tokenCount;
}
