using System.Runtime.InteropServices;

namespace Sift.Kernels.Emitted;

/// <summary>
/// What an emitted int8 tile reads: where the rows' activations and scales are, the panel, how many
/// blocks, and where the totals go. The tile keeps its loop state in volatile registers only, so it
/// reads what it needs from here (the offsets come from <see cref="Offset"/>, never written out twice).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct TileArguments
{
    /// <summary>Row 0's first activation byte.</summary>
    public byte* Activations;

    /// <summary>Bytes from one row's activations to the next row's.</summary>
    public long ActivationStride;

    /// <summary>3 × <see cref="ActivationStride"/>: row 3's offset (an address's index scale can only be 1, 2, 4 or 8).</summary>
    public long ActivationStride3;

    /// <summary>One past each row's last activation scale (the tile reads them at a negative index counting up to 0).</summary>
    public float* ScalesEnd0;

    public float* ScalesEnd1;

    public float* ScalesEnd2;

    public float* ScalesEnd3;

    /// <summary>The panel's first block.</summary>
    public byte* Panel;

    /// <summary>−4 × blocks: the loop index (bytes of one row's scales still to go), which ends the loop at 0.</summary>
    public long NegativeScaleBytes;

    /// <summary>The tile's rows × 32 fp32 totals, which it adds to: read and written once per block.</summary>
    public float* Totals;

    /// <summary>The arguments of one call, from <see cref="MicroKernel.RunBytes{TWidth, TVector, TInt}"/>'s (row pointers past the tile's rows are computed, never read).</summary>
    public static TileArguments Create(byte* a, nint aStride, float* scales, nint scaleStride, byte* panel, int blocks, float* accumulators) => new()
    {
        Activations = a,
        ActivationStride = aStride,
        ActivationStride3 = 3L * aStride,
        ScalesEnd0 = scales + blocks,
        ScalesEnd1 = scales + scaleStride + blocks,
        ScalesEnd2 = scales + 2 * scaleStride + blocks,
        ScalesEnd3 = scales + 3 * scaleStride + blocks,
        Panel = panel,
        NegativeScaleBytes = -(long)sizeof(float) * blocks,
        Totals = accumulators,
    };

    /// <summary>The byte offset of <paramref name="field"/> (a nameof of this struct's fields).</summary>
    public static int Offset(string field) => (int)Marshal.OffsetOf<TileArguments>(field);

    /// <summary>The offset of row <paramref name="row"/>'s <see cref="ScalesEnd0"/> .. <see cref="ScalesEnd3"/>.</summary>
    public static int ScalesEndOffset(int row) => Offset(row switch
    {
        0 => nameof(ScalesEnd0),
        1 => nameof(ScalesEnd1),
        2 => nameof(ScalesEnd2),
        3 => nameof(ScalesEnd3),
        _ => throw new ArgumentOutOfRangeException(nameof(row), row, "a tile has rows 0..3"),
    });
}
