namespace Sift.Engine;

/// <summary>
/// One sequence for the decoder: its own tokens, and the shared prefix it continues, if any. The
/// model reads the prefix, then the tokens; the result is bitwise what the concatenation gives.
/// </summary>
/// <param name="Tokens">The sequence's own token ids (at least one).</param>
/// <param name="Prefix">The prefix the tokens continue, or null.</param>
public sealed record ModelSequence(int[] Tokens, SharedPrefix? Prefix = null)
{
    /// <summary>Tokens the whole sequence has: the prefix's and its own.</summary>
    public int TotalLength => (Prefix?.Length ?? 0) + Tokens.Length;
}
