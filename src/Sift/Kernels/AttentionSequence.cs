namespace Sift.Kernels;

/// <summary>
/// Where one sequence's attention inputs and outputs are. Query q (0-based) is at position
/// <see cref="FirstQueryPosition"/> + q of its sequence and attends the keys at positions 0 through
/// its own. The key (and value) of position p is row <see cref="SharedKeyRow"/> + p for the first
/// <see cref="SharedLength"/> positions (a prefix that several sequences share and read in place),
/// and row <see cref="KeyRow"/> + (p − <see cref="SharedLength"/>) after them.
/// </summary>
/// <param name="QueryRow">Row of the first query in the query buffer.</param>
/// <param name="QueryCount">How many consecutive queries to compute.</param>
/// <param name="FirstQueryPosition">Position of the first query in its sequence (after any shared prefix).</param>
/// <param name="KeyRow">Row of the key of position <see cref="SharedLength"/> (position 0 without a shared prefix).</param>
/// <param name="OutputRow">Row of the first query's result in the output buffer.</param>
public readonly record struct AttentionSequence(int QueryRow, int QueryCount, int FirstQueryPosition, int KeyRow, int OutputRow)
{
    /// <summary>Positions read from the shared rows at <see cref="SharedKeyRow"/>; 0 when the sequence has no shared prefix.</summary>
    public int SharedLength { get; init; }

    /// <summary>Row of the key of position 0 when <see cref="SharedLength"/> is positive.</summary>
    public int SharedKeyRow { get; init; }
}
