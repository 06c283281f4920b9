using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Sift.Kernels.Emitted;

/// <summary>
/// Micro-kernels emitted at start-up as machine code, for instructions .NET 10 has no API for:
/// today the int8 tile with 512-bit vpdpbusd (AVX-512 VNNI: Zen 4/5, Ice Lake and later), twice the
/// multiply-adds per instruction of the managed AVX-512 sequence. Used only on the avx512 kernel
/// path, when the CPU reports AVX-512 VNNI and the OS lets the process map executable memory;
/// <c>SIFT_EMITTED_KERNELS=0</c> turns them off (the managed kernel, which gives the same bits, runs).
/// </summary>
internal static unsafe class EmittedKernels
{
    /// <summary>Code alignment of each tile (a cache line).</summary>
    private const int Alignment = 64;

    private static readonly nint[] Tiles = new nint[MicroKernel.Int8Rows];

    static EmittedKernels()
    {
        if (!KernelPath.Uses512 || RuntimeInformation.ProcessArchitecture != Architecture.X64 || !CpuHasAvx512Vnni()
            || Environment.GetEnvironmentVariable("SIFT_EMITTED_KERNELS") == "0")
        {
            return;
        }
        var windows = OperatingSystem.IsWindows();
        var code = new List<byte>();
        var offsets = new int[MicroKernel.Int8Rows];
        for (var rows = 1; rows <= MicroKernel.Int8Rows; rows++)
        {
            while (code.Count % Alignment != 0)
            {
                code.Add(0xCC);
            }
            offsets[rows - 1] = code.Count;
            code.AddRange(VnniTileEmitter.Emit(rows, windows));
        }
        // Mapped for the life of the process, like the JIT's own code.
        var memory = ExecutableMemory.TryCreate(code.ToArray());
        if (memory is null)
        {
            return;
        }
        for (var i = 0; i < Tiles.Length; i++)
        {
            Tiles[i] = (nint)(memory.Start + offsets[i]);
        }
        HasVnniTile = true;
    }

    /// <summary>Whether the 512-bit VNNI int8 tile is in use.</summary>
    public static bool HasVnniTile { get; }

    /// <summary>The tile for <see cref="WeightFormat.Int8"/>: arguments as <see cref="MicroKernel.RunBytes{TWidth, TVector, TInt}"/>'s on the 512-bit path.</summary>
    public static void RunBytes(int rows, byte* a, nint aStride, float* scales, nint scaleStride, byte* panel, int blocks, float* accumulators)
    {
        if ((uint)(rows - 1) >= (uint)Tiles.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"an int8 tile has 1..{Tiles.Length} rows");
        }
        var arguments = new TileArguments
        {
            Row0 = a,
            Row1 = a + aStride,
            Row2 = a + 2 * aStride,
            Row3 = a + 3 * aStride,
            Scales0 = scales,
            Scales1 = scales + scaleStride,
            Scales2 = scales + 2 * scaleStride,
            Scales3 = scales + 3 * scaleStride,
            Panel = panel,
            Blocks = blocks,
            Totals = accumulators,
        };
        // A few microseconds of arithmetic that never blocks, allocates or calls back: no GC transition needed.
        ((delegate* unmanaged[SuppressGCTransition]<TileArguments*, void>)Tiles[rows - 1])(&arguments);
    }

    /// <summary>CPUID leaf 7, sub-leaf 0, ECX bit 11: AVX512_VNNI (the runtime checked the OS saves the zmm state for AVX-512F).</summary>
    private static bool CpuHasAvx512Vnni() => X86Base.IsSupported && (X86Base.CpuId(7, 0).Ecx & (1 << 11)) != 0;
}
