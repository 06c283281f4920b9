namespace Sift.Kernels;

/// <summary>
/// How an int8 weight matrix and the activations multiplied with it are cut into blocks along the
/// input features, each block with its own scale on both sides, and what that makes the byte layout
/// of a packed panel block and of a quantized activation row.
/// </summary>
/// <remarks>
/// Block sizes. <see cref="WeightFormat.Int8"/>, the fast mode, sums <see cref="WideBlockSize"/> = 128
/// u8×s8 products per output in int32 before the block's fp32 step (convert, weight scale, activation
/// scale) on rows of at least <see cref="WideBlockMinColumns"/> inputs. With Q8_0's 32 that step was a
/// fifth of the tile's work; with 128, one 32-token query on AVX2 takes 0.87× the time, and embeddings
/// at the 0.6B shape are off by 2.7e-3 instead of 2.4e-3 (docs/benchmarks.md). It keeps 32:
/// <list type="bullet">
/// <item>on narrower rows (small test models), where each block's rounding weighs most: the fixtures'
/// hidden size 64 in one block per row moved their embeddings 0.032 from the reference, over the 0.03 bar;</item>
/// <item>for weights that are Q8_0 already (GGUF), so that they pass through unchanged.</item>
/// </list>
/// <see cref="WeightFormat.Int8A16"/>, the accurate mode, always keeps 32. Every Qwen3 size's rows
/// are 1024 inputs or more (hidden, intermediate, heads × head_dim).
/// </remarks>
internal readonly record struct Int8Layout
{
    /// <summary>The fast mode's block on wide rows.</summary>
    public const int WideBlockSize = 128;

    /// <summary>Inputs per row from which the fast mode uses <see cref="WideBlockSize"/>.</summary>
    public const int WideBlockMinColumns = 1024;

    private Int8Layout(WeightFormat format, int blockSize)
    {
        Format = format;
        BlockSize = blockSize;
    }

    /// <summary><see cref="WeightFormat.Int8"/> or <see cref="WeightFormat.Int8A16"/>.</summary>
    public WeightFormat Format { get; }

    /// <summary>Input features per block: 32 or <see cref="WideBlockSize"/>.</summary>
    public int BlockSize { get; }

    /// <summary>Whether activations are bytes (q + 64, the 8-bit mode) rather than int16.</summary>
    public bool ByteActivations => Format == WeightFormat.Int8;

    /// <summary>
    /// The layout of a <paramref name="format"/> matrix whose rows hold <paramref name="columns"/> input
    /// features; <paramref name="keepQ8Blocks"/>: 32 on any row, for weights that are Q8_0 already.
    /// </summary>
    public static Int8Layout For(WeightFormat format, int columns, bool keepQ8Blocks = false) => format switch
    {
        WeightFormat.Int8 => new(format, columns >= WideBlockMinColumns && !keepQ8Blocks ? WideBlockSize : Q8Blocks.BlockSize),
        WeightFormat.Int8A16 => new(format, Q8Blocks.BlockSize),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "not an int8 format"),
    };

    /// <summary>The <see cref="WeightFormat.Int8"/> layout with blocks of <paramref name="blockSize"/> (32 or 128), for the tiles and their tests.</summary>
    public static Int8Layout ForByteActivations(int blockSize) => blockSize is Q8Blocks.BlockSize or WideBlockSize
        ? new(WeightFormat.Int8, blockSize)
        : throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, $"int8 blocks are {Q8Blocks.BlockSize} or {WideBlockSize} inputs");

    /// <summary>Blocks per row: <paramref name="columns"/> rounded up to whole blocks (zero padded).</summary>
    public int Blocks(int columns) => (columns + BlockSize - 1) / BlockSize;

    /// <summary>Bytes of one block's quantized activations: a byte or an int16 per input.</summary>
    public int ActivationBlockBytes => BlockSize * (ByteActivations ? sizeof(byte) : sizeof(short));

    /// <summary>Bytes of one row's quantized activations (without its scales).</summary>
    public long ActivationRowBytes(int blocks) => (long)blocks * ActivationBlockBytes;

    /// <summary>Bytes for <paramref name="rows"/> rows of <paramref name="blocks"/> blocks of quantized activations and their scales.</summary>
    public long ActivationBytes(int rows, int blocks) => rows * (ActivationRowBytes(blocks) + (long)blocks * sizeof(float));

    /// <summary>
    /// Bytes of one packed panel block: <see cref="BlockSize"/> input features of the panel's <paramref name="panelWidth"/> rows.
    /// 8-bit mode: steps of 4 consecutive features (each step holds every row's 4 bytes in row order:
    /// the groups u8×s8 instructions multiply per int32 lane), then the rows' scales as floats, then per
    /// row −64·Σq as int32 (cancels the activations' offset). 16-bit mode: steps of 2 features (pairs,
    /// for vpmaddwd), then the scales.
    /// </summary>
    public int PanelBlockBytes(int panelWidth) => CorrectionsOffset(panelWidth) + (ByteActivations ? panelWidth * sizeof(int) : 0);

    /// <summary>Where a panel block's weight scales start (after its weights).</summary>
    public int WeightScalesOffset(int panelWidth) => BlockSize * panelWidth;

    /// <summary>Where a panel block's corrections (−64·Σq per row, 8-bit mode only) start: after its weight scales.</summary>
    public int CorrectionsOffset(int panelWidth) => WeightScalesOffset(panelWidth) + panelWidth * sizeof(float);

    /// <summary>Consecutive input features each panel step holds per row: 4 for u8×s8, 2 for s16×s16 pairs.</summary>
    public int StepFeatures => ByteActivations ? 4 : 2;
}
