namespace Sift.Checkpoints;

/// <summary>
/// One named tensor inside a memory-mapped checkpoint. The bytes stay in the mapping: reading a
/// row touches only that row's pages. Valid while its checkpoint is not disposed.
/// </summary>
public sealed unsafe class CheckpointTensor
{
    private readonly byte* _data;
    private readonly bool _fileMapped;

    internal CheckpointTensor(string name, TensorType type, long[] shape, byte* data, long byteLength, string file, bool fileMapped = false)
    {
        _fileMapped = fileMapped;
        Name = name;
        Type = type;
        Shape = shape;
        _data = data;
        ByteLength = byteLength;
        File = file;
    }

    /// <summary>The tensor's name in the checkpoint.</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public TensorType Type { get; }

    /// <summary>The shape, outermost dimension first (PyTorch order).</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The stored size in bytes.</summary>
    public long ByteLength { get; }

    /// <summary>The file the tensor lives in.</summary>
    public string File { get; }

    /// <summary>The number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (product, dimension) => product * dimension);

    /// <summary>The bytes of row <paramref name="row"/> of a 2-D tensor (or of the only row of a 1-D one).</summary>
    public ReadOnlySpan<byte> RowBytes(long row)
    {
        var rows = Shape.Count >= 2 ? Shape[0] : 1;
        if ((ulong)row >= (ulong)rows)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row, $"tensor {Name} has {rows} rows");
        }
        var rowBytes = ByteLength / rows;
        return new ReadOnlySpan<byte>(_data + row * rowBytes, checked((int)rowBytes));
    }

    /// <summary>All bytes of a tensor smaller than 2 GB.</summary>
    public ReadOnlySpan<byte> Bytes => new(_data, checked((int)ByteLength));

    /// <summary>
    /// Tells the kernel the process no longer needs the tensor's mapped pages (Linux madvise
    /// MADV_DONTNEED): after a weight is packed, its file pages leave the process's resident set
    /// (they stay in the page cache; touching them again reads them back). A no-op for tensors not
    /// mapped from a file (dropping anonymous pages would zero them) and off Linux.
    /// </summary>
    public void ReleasePages()
    {
        if (_fileMapped)
        {
            PageAdvice.DontNeed(_data, ByteLength);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} {Type} [{string.Join(", ", Shape)}]";
}
