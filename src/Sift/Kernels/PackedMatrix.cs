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

    private readonly Int8Layout _int8Layout;

    private PackedMatrix(WeightFormat format, int rows, int columns, int outputColumns, bool gateUpInterleaved, bool keepQ8Blocks)
    {
        Format = format;
        Rows = rows;
        Columns = columns;
        OutputColumns = outputColumns;
        IsGateUpInterleaved = gateUpInterleaved;
        _int8Layout = IsInt8(format) ? Int8Layout.For(format, columns, keepQ8Blocks) : default;
        PanelCount = (rows + PanelWidth - 1) / PanelWidth;
        PanelBytes = PanelByteLength(format, columns, keepQ8Blocks);
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
    /// <param name="format">The element format.</param>
    /// <param name="rows">Output features.</param>
    /// <param name="columns">Input features.</param>
    /// <param name="readRow">Supplies each row as fp32.</param>
    /// <param name="pool">Packs panels in parallel (the shared pool when null).</param>
    /// <param name="keepQ8Blocks">
    /// For <see cref="WeightFormat.Int8"/>: blocks of 32 on rows of any width, for weights that are Q8_0
    /// already (GGUF), which then pass through unchanged instead of being re-rounded to blocks of 128.
    /// </param>
    public static PackedMatrix Pack(WeightFormat format, int rows, int columns, RowReader readRow, WorkerPool? pool = null, bool keepQ8Blocks = false)
    {
        ArgumentNullException.ThrowIfNull(readRow);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        var matrix = new PackedMatrix(format, rows, columns, rows, gateUpInterleaved: false, keepQ8Blocks);
        var body = new PackBody(matrix, readRow);
        (pool ?? WorkerPool.Shared).For(matrix.PanelCount, ref body);
        return matrix;
    }

    /// <summary>
    /// Packs an MLP's gate and up projections [features × columns each] interleaved: panel p holds
    /// gate rows [hp, hp + h) then up rows [hp, hp + h), h = half a panel (one vector), so one
    /// micro-kernel tile sees a feature's gate and up values together and can write silu(gate)·up directly.
    /// <paramref name="keepQ8Blocks"/> as for <see cref="Pack"/>.
    /// </summary>
    public static PackedMatrix PackGateUp(WeightFormat format, int features, int columns, RowReader readGate, RowReader readUp, WorkerPool? pool = null,
        bool keepQ8Blocks = false)
    {
        ArgumentNullException.ThrowIfNull(readGate);
        ArgumentNullException.ThrowIfNull(readUp);
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        var half = PanelWidth / 2;
        var matrix = new PackedMatrix(format, GateUpRows(features), columns, features, gateUpInterleaved: true, keepQ8Blocks);
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
    public static long BytesFor(WeightFormat format, int rows, int columns, bool keepQ8Blocks = false) =>
        (long)(rows + PanelWidth - 1) / PanelWidth * PanelByteLength(format, columns, keepQ8Blocks);

    /// <summary>Rows <see cref="PackGateUp"/> packs for <paramref name="features"/> features: both projections, padded to whole panels.</summary>
    public static int GateUpRows(int features) => (features + PanelWidth / 2 - 1) / (PanelWidth / 2) * PanelWidth;

    /// <summary>Frees the packed memory.</summary>
    public void Dispose()
    {
        NativeMemory.AlignedFree(_data);
        _data = null;
    }

    /// <summary>How this matrix's int8 blocks are laid out (<see cref="WeightFormat.Int8"/> and <see cref="WeightFormat.Int8A16"/> only).</summary>
    internal Int8Layout Int8Layout => IsInt8(Format) ? _int8Layout : throw new InvalidOperationException($"a {Format} matrix has no int8 blocks");

    internal static bool IsInt8(WeightFormat format) => format is WeightFormat.Int8 or WeightFormat.Int8A16;

    private static long PanelByteLength(WeightFormat format, int columns, bool keepQ8Blocks)
    {
        if (!IsInt8(format))
        {
            return (long)columns * PanelWidth * ElementBytes(format);
        }
        var layout = Int8Layout.For(format, columns, keepQ8Blocks);
        return (long)layout.Blocks(columns) * layout.PanelBlockBytes(PanelWidth);
    }

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

    /// <summary>Quantizes each row of the panel to blocks of its <see cref="Int8Layout"/> (Q8_0's rules) and lays them out as the layout describes.</summary>
    private void PackInt8Panel(int panel, RowReader readRow, float[] row)
    {
        var destination = Panel(panel);
        var layout = Int8Layout;
        var blocks = layout.Blocks(Columns);
        var blockBytes = layout.PanelBlockBytes(PanelWidth);
        var group = layout.StepFeatures;
        Span<sbyte> quantized = stackalloc sbyte[layout.BlockSize];
        for (var r = 0; r < PanelWidth; r++)
        {
            ReadPanelRow(panel * PanelWidth + r, readRow, row);
            for (var b = 0; b < blocks; b++)
            {
                var scale = Q8Blocks.QuantizeAnyLength(row.AsSpan(b * layout.BlockSize, layout.BlockSize), quantized);
                var blockStart = destination + (long)b * blockBytes;
                var sum = 0;
                for (var step = 0; step < layout.BlockSize / group; step++)
                {
                    var target = (sbyte*)(blockStart + (step * PanelWidth + r) * group);
                    for (var i = 0; i < group; i++)
                    {
                        target[i] = quantized[step * group + i];
                        sum += quantized[step * group + i];
                    }
                }
                ((float*)(blockStart + layout.WeightScalesOffset(PanelWidth)))[r] = scale;
                if (layout.ByteActivations)
                {
                    ((int*)(blockStart + layout.CorrectionsOffset(PanelWidth)))[r] = -ActivationQuantizer.ByteOffset * sum;
                }
            }
        }
    }

    /// <summary>Packs one panel per call, with a row buffer of whole blocks (zero past the columns, which the readers leave untouched).</summary>
    private readonly struct PackBody(PackedMatrix matrix, RowReader readRow) : IParallelBody
    {
        public void Execute(int index, int worker) =>
            matrix.PackPanel(index, readRow, new float[IsInt8(matrix.Format) ? matrix.Int8Layout.Blocks(matrix.Columns) * matrix.Int8Layout.BlockSize : matrix.Columns]);
    }
}
