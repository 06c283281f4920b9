using Sift.Kernels;

namespace Sift.Qwen3;

/// <summary>
/// The model's RoPE cosines and sines by position, computed once and grown on demand: every
/// forward pass reads the same rows, and sin/cos in double precision are not cheap enough to
/// recompute for every token of every batch.
/// </summary>
internal sealed class RotaryTable(int headDim, double theta, int maxPositions)
{
    private readonly int _half = headDim / 2;
    private float[] _cos = [];
    private float[] _sin = [];

    /// <summary>Positions the table holds, from 0.</summary>
    public int Count { get; private set; }

    /// <summary>Makes sure positions [0, <paramref name="positions"/>) are in the table (not thread-safe: the caller holds the forward lock).</summary>
    public void Ensure(int positions)
    {
        if (positions <= Count)
        {
            return;
        }
        // Grow geometrically so that inputs of slowly rising length do not rebuild the table each time.
        var capacity = Math.Min(maxPositions, Math.Max(positions, 2 * Count));
        Array.Resize(ref _cos, capacity * _half);
        Array.Resize(ref _sin, capacity * _half);
        Rope.BuildTables(Count, capacity - Count, headDim, theta, _cos.AsSpan(Count * _half), _sin.AsSpan(Count * _half));
        Count = capacity;
    }

    /// <summary>The cosines of one position (head_dim/2 values).</summary>
    public ReadOnlySpan<float> Cos(int position) => _cos.AsSpan(position * _half, _half);

    /// <summary>The sines of one position (head_dim/2 values).</summary>
    public ReadOnlySpan<float> Sin(int position) => _sin.AsSpan(position * _half, _half);
}
