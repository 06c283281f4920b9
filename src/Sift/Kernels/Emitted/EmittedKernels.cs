using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Sift.Kernels.Emitted;

/// <summary>
/// Micro-kernels emitted at start-up as machine code, for instructions .NET 10 has no API for:
/// today the int8 tile with 512-bit vpdpbusd (AVX-512 VNNI: Zen 4/5, Ice Lake and later), twice the
/// multiply-adds per instruction of the managed AVX-512 sequence. Used only on the avx512 kernel
/// path, when the CPU reports AVX-512 VNNI and the OS lets the process map executable memory;
/// <c>SIFT_EMITTED_KERNELS=0</c> turns them off. Whenever they are not used, for any reason (an
/// exception included), the managed kernel runs (it gives the same bits) and
/// <see cref="UnavailableReason"/> says why.
/// </summary>
internal static unsafe class EmittedKernels
{
    /// <summary>The switch that turns the emitted kernels off: 0, false, off or no.</summary>
    public const string SwitchVariable = "SIFT_EMITTED_KERNELS";

    /// <summary>Code alignment of each tile (a cache line).</summary>
    private const int Alignment = 64;

    /// <summary>The block sizes a tile is emitted for, each with its own unrolled steps.</summary>
    private static readonly int[] BlockSizes = [Q8Blocks.BlockSize, Int8Layout.WideBlockSize];

    /// <summary>Entry points by block size (as <see cref="BlockSizes"/>) and rows − 1.</summary>
    private static readonly nint[,] Tiles = new nint[BlockSizes.Length, MicroKernel.Int8Rows];

    static EmittedKernels()
    {
        UnavailableReason = Prepare();
        HasVnniTile = UnavailableReason is null;
    }

    /// <summary>Whether the 512-bit VNNI int8 tile is in use.</summary>
    public static bool HasVnniTile { get; }

    /// <summary>Why the tile is not in use (null when it is): the missing feature, the switch, or the OS call that refused and its error.</summary>
    public static string? UnavailableReason { get; }

    /// <summary>Whether <paramref name="value"/> (of <see cref="SwitchVariable"/>) turns the emitted kernels off.</summary>
    public static bool IsSwitchedOff(string? value) =>
        value?.Trim().ToLowerInvariant() is "0" or "false" or "off" or "no";

    /// <summary>The tile for <see cref="WeightFormat.Int8"/>: arguments as <see cref="MicroKernel.RunBytes{TWidth, TVector, TInt}"/>'s on the 512-bit path.</summary>
    public static void RunBytes(int rows, byte* a, nint aStride, float* scales, nint scaleStride, byte* panel, int blocks, Int8Layout layout, float* accumulators,
        bool continueTotals)
    {
        if ((uint)(rows - 1) >= (uint)MicroKernel.Int8Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"an int8 tile has 1..{MicroKernel.Int8Rows} rows");
        }
        // Blocks of 32 are index 0 in BlockSizes, of 128 index 1 (the only two sizes a layout can have).
        var size = layout.BlockSize == Int8Layout.WideBlockSize ? 1 : 0;
        if (!layout.ByteActivations || layout.BlockSize != BlockSizes[size])
        {
            throw new ArgumentException($"no emitted tile for {layout.Format} blocks of {layout.BlockSize}", nameof(layout));
        }
        // The tile's loop runs at least once (it tests its end after a block), so no blocks would read past the panel.
        if (blocks < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(blocks), blocks, "an int8 tile needs at least 1 block");
        }
        // The tile adds to its totals: a first slice starts them at zero here.
        if (!continueTotals)
        {
            new Span<float>(accumulators, rows * VnniTileEmitter.PanelColumns).Clear();
        }
        var arguments = TileArguments.Create(a, aStride, scales, scaleStride, panel, blocks, accumulators);
        // An ordinary unmanaged call (the GC need not wait for the tile, stack walks see the transition):
        // SuppressGCTransition saved nothing measurable here (bench --workload tile-call, docs/benchmarks.md).
        ((delegate* unmanaged<TileArguments*, void>)Tiles[size, rows - 1])(&arguments);
    }

    /// <summary>Emits and maps the tiles; the reason when they cannot be used (the type initializer never throws: any failure is a reason).</summary>
    private static string? Prepare()
    {
        try
        {
            if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
            {
                return $"the process is {RuntimeInformation.ProcessArchitecture}, the tile is x86-64 code";
            }
            if (!KernelPath.Uses512)
            {
                return "the kernel path is not avx512 (the tile needs AVX-512 F + BW with Vector512 accelerated)";
            }
            if (!CpuHasAvx512Vnni())
            {
                return "the CPU lacks AVX-512 VNNI (CPUID leaf 7 ECX bit 11)";
            }
            var switchValue = Environment.GetEnvironmentVariable(SwitchVariable);
            if (IsSwitchedOff(switchValue))
            {
                return $"{SwitchVariable}={switchValue}";
            }
            if (PackedMatrix.PanelWidth != VnniTileEmitter.PanelColumns)
            {
                return $"the packed panels are {PackedMatrix.PanelWidth} columns wide, the tile is written for {VnniTileEmitter.PanelColumns}";
            }
            var code = new List<byte>();
            var offsets = new int[BlockSizes.Length, MicroKernel.Int8Rows];
            for (var size = 0; size < BlockSizes.Length; size++)
            {
                for (var rows = 1; rows <= MicroKernel.Int8Rows; rows++)
                {
                    while (code.Count % Alignment != 0)
                    {
                        code.Add(0xCC);
                    }
                    offsets[size, rows - 1] = code.Count;
                    code.AddRange(VnniTileEmitter.Emit(rows, Int8Layout.ForByteActivations(BlockSizes[size]), OperatingSystem.IsWindows()));
                }
            }
            // Mapped for the life of the process, like the JIT's own code.
            var memory = ExecutableMemory.TryCreate(code.ToArray(), out var failure);
            if (memory is null)
            {
                return failure;
            }
            for (var size = 0; size < BlockSizes.Length; size++)
            {
                for (var rows = 1; rows <= MicroKernel.Int8Rows; rows++)
                {
                    Tiles[size, rows - 1] = (nint)(memory.Start + offsets[size, rows - 1]);
                }
            }
            return null;
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name} while emitting the tile: {e.Message}";
        }
    }

    /// <summary>CPUID leaf 7, sub-leaf 0, ECX bit 11: AVX512_VNNI (the runtime checked the OS saves the zmm state for AVX-512F).</summary>
    private static bool CpuHasAvx512Vnni() => X86Base.IsSupported && (X86Base.CpuId(7, 0).Ecx & (1 << 11)) != 0;
}
