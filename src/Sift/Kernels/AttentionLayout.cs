namespace Sift.Kernels;

/// <summary>The head layout of grouped-query attention.</summary>
/// <param name="HeadCount">Query heads.</param>
/// <param name="KeyValueHeadCount">Key/value heads; each serves HeadCount / KeyValueHeadCount query heads.</param>
/// <param name="HeadDim">Width of one head.</param>
public readonly record struct AttentionLayout(int HeadCount, int KeyValueHeadCount, int HeadDim)
{
    /// <summary>Query heads per key/value head.</summary>
    public int GroupSize => HeadCount / KeyValueHeadCount;

    /// <summary>Floats of all query heads of one token.</summary>
    public int QueryWidth => HeadCount * HeadDim;

    /// <summary>Floats of all key (or value) heads of one token.</summary>
    public int KeyValueWidth => KeyValueHeadCount * HeadDim;

    /// <summary>Floats of q, k and v together for one token.</summary>
    public int QkvWidth => QueryWidth + 2 * KeyValueWidth;
}
