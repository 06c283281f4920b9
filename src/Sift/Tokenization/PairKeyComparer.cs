namespace Sift.Tokenization;

/// <summary>
/// Hashes a merge pair key (left id &lt;&lt; 32 | right id) by multiplying it with a 64-bit odd constant.
/// long's own hash is left ^ right, which puts every pair of a token with itself ("a"+"a",
/// " "+" ", "!!"+"!!": 444 merges in Qwen's vocabulary) in one bucket; a run of one repeated
/// character looks up only such pairs and walked that chain on every lookup (seconds for a
/// megabyte of "aaaa").
/// </summary>
internal sealed class PairKeyComparer : IEqualityComparer<long>
{
    public static PairKeyComparer Instance { get; } = new();

    public bool Equals(long x, long y) => x == y;

    public int GetHashCode(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 32);
}
