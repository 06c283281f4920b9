using System.Runtime.InteropServices;

namespace Sift.Kernels;

/// <summary>Writes row <c>row</c> of a weight matrix (one output feature, all input features) as fp32.</summary>
public delegate void RowReader(int row, Span<float> destination);

/// <summary>
/// A weight matrix W [rows = output features, columns = input features] laid out once, at load, for
/// <see cref="Gemm"/> on this process's <see cref="KernelPath"/>: panels of two vectors' worth of
/// rows stored k-major, so the micro-kernel reads one contiguous stream. Elements keep their
/// stored format (bf16 stays bf16 in memory).
/// </summary>
public sealed unsafe class PackedMatrix : IDisposable
{
    private byte* _data;

    private PackedMatrix(WeightFormat format, int rows, int columns, int outputColumns, bool gateUpInterleaved)
    {
        Format = format;
        Rows = rows;
        Columns = columns;
        OutputColumns = outputColumns;
        IsGateUpInterleaved = gateUpInterleaved;
        PanelCount = (rows + PanelWidth - 1) / PanelWidth;
        PanelBytes = PanelByteLength(format, columns);
        ByteLength = PanelBytes * PanelCount;
        _data = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(ByteLength, 64), 64);
    }

    /// <summary>Packed rows (for a gate/up matrix: both projections, padded to whole panels).</summary>
    public int Rows { get; }

    /// <summary>Columns a multiply writes: <see cref="Rows"/>, or the feature count of a gate/up matrix.</summary>
    public int OutputColumns { get; }

    /// <summary>Whether each panel holds half a panel of gate rows then the matching up rows (for <see cref="GemmOutput.SwiGlu"/>).</summary>
    public bool IsGateUpInterleaved { get; }

    /// <summary>Input features.</summary>
    public int Columns { get; }

    /// <summary>The element format.</summary>
    public WeightFormat Format { get; }

    /// <summary>Bytes of memory the packed matrix occupies.</summary>
    public long ByteLength { get; }

    /// <summary>
    /// Output rows per panel: two vectors of the kernel path (32 on AVX-512, 16 on AVX2, 8 on
    /// 128-bit paths), the micro-kernel's tile width. Fixed for the process, like the path.
    /// </summary>
    internal static int PanelWidth => KernelPath.PanelWidth;

    internal int PanelCount { get; }

    internal long PanelBytes { get; }

    internal byte* Panel(int panel) => _data + panel * PanelBytes;

    /// <summary>Packs a matrix whose rows <paramref name="readRow"/> supplies; rows past the last panel's end are zero.</summary>
    public static PackedMatrix Pack(WeightFormat format, int rows, int columns, RowReader readRow, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(readRow);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        var matrix = new PackedMatrix(format, rows, columns, rows, gateUpInterleaved: false);
        var body = new PackBody(matrix, readRow);
        (pool ?? WorkerPool.Shared).For(matrix.PanelCount, ref body);
        return matrix;
    }

    /// <summary>
    /// Packs an MLP's gate and up projections [features × columns each] interleaved: panel p holds
    /// gate rows [hp, hp + h) then up rows [hp, hp + h), h = half a panel (one vector), so one
    /// micro-kernel tile sees a feature's gate and up values together and can write silu(gate)·up directly.
    /// </summary>
    public static PackedMatrix PackGateUp(WeightFormat format, int features, int columns, RowReader readGate, RowReader readUp, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(readGate);
        ArgumentNullException.ThrowIfNull(readUp);
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        var half = PanelWidth / 2;
        var matrix = new PackedMatrix(format, GateUpRows(features), columns, features, gateUpInterleaved: true);
        RowReader interleaved = (row, destination) =>
        {
            var within = row % PanelWidth;
            var feature = row / PanelWidth * half + within % half;
            if (feature >= features)
            {
                destination.Clear();
            }
            else
            {
                (within < half ? readGate : readUp)(feature, destination);
            }
        };
        var body = new PackBody(matrix, interleaved);
        (pool ?? WorkerPool.Shared).For(matrix.PanelCount, ref body);
        return matrix;
    }

    /// <summary>Bytes a matrix of <paramref name="rows"/> × <paramref name="columns"/> takes once packed (what <see cref="ByteLength"/> will be).</summary>
    public static long BytesFor(WeightFormat format, int rows, int columns) =>
        (long)(rows + PanelWidth - 1) / PanelWidth * PanelByteLength(format, columns);

    /// <summary>Rows <see cref="PackGateUp"/> packs for <paramref name="features"/> features: both projections, padded to whole panels.</summary>
    public static int GateUpRows(int features) => (features + PanelWidth / 2 - 1) / (PanelWidth / 2) * PanelWidth;

    /// <summary>Frees the packed memory.</summary>
    public void Dispose()
    {
        NativeMemory.AlignedFree(_data);
        _data = null;
    }

    /// <summary>Q8_0 blocks per row: input features rounded up to whole blocks (zero padded).</summary>
    internal static int Int8Blocks(int columns) => (columns + Q8Blocks.BlockSize - 1) / Q8Blocks.BlockSize;

    internal static bool IsInt8(WeightFormat format) => format is WeightFormat.Int8 or WeightFormat.Int8A16;

    /// <summary>
    /// Bytes of one int8 panel block: 32 input features of the panel's <paramref name="panelWidth"/> rows.
    /// <see cref="WeightFormat.Int8"/>: 8 steps of 4 consecutive features (each step holds every row's
    /// 4 bytes in row order: the groups u8×s8 instructions multiply per int32 lane), then the rows'
    /// scales as floats, then per row −64·Σq as int32 (cancels the activations' offset).
    /// <see cref="WeightFormat.Int8A16"/>: 16 steps of 2 features (pairs, for vpmaddwd), then the scales.
    /// </summary>
    internal static int Int8BlockBytes(WeightFormat format, int panelWidth) =>
        Int8WeightScalesOffset(panelWidth) + panelWidth * sizeof(float) + (format == WeightFormat.Int8 ? panelWidth * sizeof(int) : 0);

    /// <summary>Where an int8 panel block's weight scales start (after its weights, in either format).</summary>
    internal static int Int8WeightScalesOffset(int panelWidth) => Q8Blocks.BlockSize * panelWidth;

    /// <summary>Where a <see cref="WeightFormat.Int8"/> panel block's corrections (−64·Σq per row) start: after its weight scales.</summary>
    internal static int Int8CorrectionsOffset(int panelWidth) => Int8WeightScalesOffset(panelWidth) + panelWidth * sizeof(float);

    private static long PanelByteLength(WeightFormat format, int columns) => IsInt8(format)
        ? (long)Int8Blocks(columns) * Int8BlockBytes(format, PanelWidth)
        : (long)columns * PanelWidth * ElementBytes(format);

    internal static int ElementBytes(WeightFormat format) => format switch
    {
        WeightFormat.F32 => sizeof(float),
        WeightFormat.BF16 or WeightFormat.F16 => sizeof(ushort),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    private void PackPanel(int panel, RowReader readRow, float[] row)
    {
        if (IsInt8(Format))
        {
            PackInt8Panel(panel, readRow, row);
            return;
        }
        var destination = Panel(panel);
        var elementBytes = ElementBytes(Format);
        for (var r = 0; r < PanelWidth; r++)
        {
            ReadPanelRow(panel * PanelWidth + r, readRow, row);
            for (var k = 0; k < Columns; k++)
            {
                var target = destination + ((long)k * PanelWidth + r) * elementBytes;
                switch (Format)
                {
                    case WeightFormat.F32: *(float*)target = row[k]; break;
                    case WeightFormat.BF16: *(ushort*)target = NumberFormats.ToBFloat16(row[k]); break;
                    default: *(Half*)target = (Half)row[k]; break;
                }
            }
        }
    }

    /// <summary>Reads a source row, or zeros for the padding rows past the last real one.</summary>
    private void ReadPanelRow(int source, RowReader readRow, float[] row)
    {
        if (source < Rows)
        {
            readRow(source, row.AsSpan(0, Columns));
        }
        else
        {
            Array.Clear(row);
        }
    }

    /// <summary>Quantizes each row of the panel to Q8_0 blocks and lays them out as <see cref="Int8BlockBytes"/> describes.</summary>
    private void PackInt8Panel(int panel, RowReader readRow, float[] row)
    {
        var destination = Panel(panel);
        var blocks = Int8Blocks(Columns);
        var blockBytes = Int8BlockBytes(Format, PanelWidth);
        var group = Format == WeightFormat.Int8 ? 4 : 2;
        Span<sbyte> quantized = stackalloc sbyte[Q8Blocks.BlockSize];
        Span<float> block = stackalloc float[Q8Blocks.BlockSize];
        for (var r = 0; r < PanelWidth; r++)
        {
            ReadPanelRow(panel * PanelWidth + r, readRow, row);
            for (var b = 0; b < blocks; b++)
            {
                block.Clear();
                var width = Math.Min(Q8Blocks.BlockSize, Columns - b * Q8Blocks.BlockSize);
                row.AsSpan(b * Q8Blocks.BlockSize, width).CopyTo(block);
                var scale = Q8Blocks.Quantize(block, quantized);
                var blockStart = destination + (long)b * blockBytes;
                var sum = 0;
                for (var step = 0; step < Q8Blocks.BlockSize / group; step++)
                {
                    var target = (sbyte*)(blockStart + (step * PanelWidth + r) * group);
                    for (var i = 0; i < group; i++)
                    {
                        target[i] = quantized[step * group + i];
                        sum += quantized[step * group + i];
                    }
                }
                ((float*)(blockStart + Int8WeightScalesOffset(PanelWidth)))[r] = scale;
                if (Format == WeightFormat.Int8)
                {
                    ((int*)(blockStart + Int8CorrectionsOffset(PanelWidth)))[r] = -ActivationQuantizer.ByteOffset * sum;
                }
            }
        }
    }

    private readonly struct PackBody(PackedMatrix matrix, RowReader readRow) : IParallelBody
    {
        public void Execute(int index, int worker) =>
            matrix.PackPanel(index, readRow, new float[Int8Blocks(matrix.Columns) * Q8Blocks.BlockSize]);
    }
}
