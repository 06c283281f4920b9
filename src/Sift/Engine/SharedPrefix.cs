namespace Sift.Engine;

/// <summary>
/// Tokens that several sequences start with (a reranker's system prompt, instruction and query).
/// A forward pass holds and computes them once for every sequence of the pass that continues them;
/// the instance is the identity, so sequences continue the same prefix when they hold the same object.
/// </summary>
public sealed class SharedPrefix
{
    /// <summary>Creates a prefix of at least one token.</summary>
    public SharedPrefix(IReadOnlyList<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfZero(tokens.Count, nameof(tokens));
        Tokens = tokens.ToArray();
    }

    /// <summary>The prefix's token ids.</summary>
    public IReadOnlyList<int> Tokens { get; }

    /// <summary>Number of tokens.</summary>
    public int Length => Tokens.Count;
}
