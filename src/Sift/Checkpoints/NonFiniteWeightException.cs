namespace Sift.Checkpoints;

/// <summary>
/// A weight row holding NaN or infinity (what a bf16 → f16 conversion does to values beyond f16's
/// range). Its own type so that <c>sift verify</c> can report it as the failed finiteness check
/// rather than as a load error.
/// </summary>
/// <param name="tensor">The tensor's name.</param>
/// <param name="row">The first row found holding a non-finite value.</param>
public sealed class NonFiniteWeightException(string tensor, int row)
    : Exception($"tensor '{tensor}' row {row} holds NaN or infinity; the checkpoint is corrupt")
{
    /// <summary>The tensor's name.</summary>
    public string Tensor { get; } = tensor;

    /// <summary>The first row found holding a non-finite value.</summary>
    public int Row { get; } = row;
}
