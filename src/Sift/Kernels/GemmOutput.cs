namespace Sift.Kernels;

/// <summary>What <see cref="Gemm"/> does with each result element.</summary>
public enum GemmOutput
{
    /// <summary>C = A·Wᵀ.</summary>
    Store,

    /// <summary>C += A·Wᵀ (a residual connection).</summary>
    Add,

    /// <summary>
    /// The weights interleave gate and up projections, 16 rows each per panel; C receives
    /// silu(gate)·up, one column per feature (the SwiGLU MLP's inner activation).
    /// </summary>
    SwiGlu,
}
