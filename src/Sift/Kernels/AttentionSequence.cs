namespace Sift.Kernels;

/// <summary>
/// Where one sequence's attention inputs and outputs are. Query q (0-based) is at position
/// <see cref="FirstQueryPosition"/> + q of its sequence and attends the keys at positions 0 through
/// its own; the key (and value) of position p is row <see cref="KeyRow"/> + p.
/// </summary>
/// <param name="QueryRow">Row of the first query in the query buffer.</param>
/// <param name="QueryCount">How many consecutive queries to compute.</param>
/// <param name="FirstQueryPosition">Position of the first query in its sequence (after any shared prefix).</param>
/// <param name="KeyRow">Row of position 0's key in the key/value buffers.</param>
/// <param name="OutputRow">Row of the first query's result in the output buffer.</param>
public readonly record struct AttentionSequence(int QueryRow, int QueryCount, int FirstQueryPosition, int KeyRow, int OutputRow);
