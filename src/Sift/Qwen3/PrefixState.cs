namespace Sift.Qwen3;

/// <summary>
/// The keys and values every layer computed for a token prefix, so that sequences which start
/// with it (the reranker's system prompt, instruction and query) run only their own tokens.
/// Reusing them gives bitwise the same result as running the whole sequence.
/// </summary>
public sealed class PrefixState
{
    internal PrefixState(int[] tokenIds, float[][] keyValues)
    {
        TokenIds = tokenIds;
        KeyValues = keyValues;
    }

    /// <summary>The prefix's tokens.</summary>
    public IReadOnlyList<int> TokenIds { get; }

    /// <summary>Number of prefix tokens.</summary>
    public int Length => TokenIds.Count;

    /// <summary>Per layer: for each prefix position, its keys then its values.</summary>
    internal float[][] KeyValues { get; }
}
