using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Sift.Kernels;
using Sift.Kernels.Emitted;
using Sift.Kernels.Vectors;

namespace Sift.Tests.Kernels;

/// <summary>
/// The run-time emitted AVX-512 VNNI int8 tile: present wherever the CPU and the OS allow it (worked
/// out here without the product's own checks, so a silent fallback fails instead of skipping every
/// other test), and the same bits as the managed 512-bit tile it replaces, in both calling conventions' code.
/// </summary>
public sealed unsafe class EmittedKernelTests
{
    private const int PanelColumns = 32;

    public static TheoryData<int, int, int, bool> Tiles()
    {
        var tiles = new TheoryData<int, int, int, bool>();
        foreach (var blockSize in new[] { 32, 128 })
        {
            foreach (var rows in new[] { 1, 2, 3, 4 })
            {
                tiles.Add(rows, blockSize, 1, false);
                tiles.Add(rows, blockSize, 7, false);
                tiles.Add(rows, blockSize, 96, false);
                tiles.Add(rows, blockSize, 5, true);
            }
        }
        return tiles;
    }

    [Fact]
    public void Tile_IsInUse_ExactlyWhereTheCpuAndTheOsAllowIt()
    {
        Assert.Equal(EmittedKernels.HasVnniTile, EmittedKernels.UnavailableReason is null);
        Assert.Equal(EmittedKernels.HasVnniTile ? "in use" : $"not in use: {EmittedKernels.UnavailableReason}", KernelPath.Current.EmittedInt8Tile);
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("the independent check reads the CPU's flags from /proc/cpuinfo (Linux)");
        }
        // The kernel's own view of the CPU (not the CPUID bit the product reads) and what the runtime accelerates.
        var cpuHasVnni = File.ReadLines("/proc/cpuinfo").Any(line => line.StartsWith("flags", StringComparison.Ordinal)
            && line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("avx512_vnni"));
        var avx512Path = RuntimeInformation.ProcessArchitecture == Architecture.X64 && Vector512.IsHardwareAccelerated && Avx512BW.IsSupported;
        var switchValue = Environment.GetEnvironmentVariable("SIFT_EMITTED_KERNELS");
        var switchedOff = switchValue is not null && new[] { "0", "false", "off", "no" }.Contains(switchValue.Trim(), StringComparer.OrdinalIgnoreCase);
        // SELinux's deny_execmem is the one common Linux policy that refuses an anonymous mapping executable.
        var execmemDenied = File.Exists("/sys/fs/selinux/enforce") && File.ReadAllText("/sys/fs/selinux/enforce").Trim() == "1"
            && File.Exists("/sys/fs/selinux/booleans/deny_execmem") && File.ReadAllText("/sys/fs/selinux/booleans/deny_execmem").StartsWith('1');

        var expected = avx512Path && cpuHasVnni && !switchedOff && !execmemDenied;
        Assert.True(expected == EmittedKernels.HasVnniTile,
            $"expected the emitted tile {(expected ? "in use" : "not in use")} (avx512 path {avx512Path}, /proc/cpuinfo avx512_vnni {cpuHasVnni}, "
            + $"SIFT_EMITTED_KERNELS={switchValue}, SELinux deny_execmem {execmemDenied}); it is {KernelPath.Current.EmittedInt8Tile}");
        if (avx512Path && cpuHasVnni && switchedOff)
        {
            Assert.Equal($"SIFT_EMITTED_KERNELS={switchValue}", EmittedKernels.UnavailableReason);
        }
    }

    [Theory]
    [MemberData(nameof(Tiles))]
    public void EmittedTile_GivesTheManagedTilesBits(int rows, int blockSize, int blocks, bool extremes)
    {
        RequireTile();
        var layout = Int8Layout.ForByteActivations(blockSize);
        AssertSameBitsAsTheManagedTile(rows, layout, blocks, extremes, split: 0, (a, aStride, scales, scaleStride, panel, tileBlocks, totals, continueTotals) =>
            EmittedKernels.RunBytes(rows, a, aStride, scales, scaleStride, panel, tileBlocks, layout, totals, continueTotals));
    }

    /// <summary>
    /// A panel multiplied in two slices of its inputs (the GEMM's L1-sized slices): the second call starts
    /// from the first's totals and must end with the bits of one call over every block (the managed tile's).
    /// </summary>
    [Theory]
    [InlineData(4, 128, 24, 5)]
    [InlineData(3, 128, 9, 1)]
    [InlineData(1, 128, 2, 1)]
    [InlineData(4, 32, 96, 50)]
    [InlineData(2, 32, 7, 6)]
    public void EmittedTile_ContinuedOverASecondSlice_GivesTheWholeTilesBits(int rows, int blockSize, int blocks, int firstSliceBlocks)
    {
        RequireTile();
        var layout = Int8Layout.ForByteActivations(blockSize);
        AssertSameBitsAsTheManagedTile(rows, layout, blocks, extremes: false, split: firstSliceBlocks,
            (a, aStride, scales, scaleStride, panel, tileBlocks, totals, continueTotals) =>
                EmittedKernels.RunBytes(rows, a, aStride, scales, scaleStride, panel, tileBlocks, layout, totals, continueTotals));
    }

    /// <summary>
    /// The Windows x64 code, run here: System V passes a fourth integer argument in rcx, the register
    /// where the Windows tile expects its one argument, so the same bytes run as they would on Windows.
    /// </summary>
    [Theory]
    [MemberData(nameof(Tiles))]
    public void WindowsTile_GivesTheManagedTilesBits(int rows, int blockSize, int blocks, bool extremes)
    {
        RequireTile();
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("on Windows the process's own tile is the Windows code (EmittedTile_GivesTheManagedTilesBits)");
        }
        var layout = Int8Layout.ForByteActivations(blockSize);
        var memory = ExecutableMemory.TryCreate(VnniTileEmitter.Emit(rows, layout, windows: true), out var failure);
        Assert.True(memory is not null, failure);
        var tile = (delegate* unmanaged<nint, nint, nint, TileArguments*, void>)memory.Start;
        // Whole in one call, or (more than one block) in two, the second adding to the first's totals.
        AssertSameBitsAsTheManagedTile(rows, layout, blocks, extremes, split: blocks / 2, (a, aStride, scales, scaleStride, panel, tileBlocks, totals, continueTotals) =>
        {
            if (!continueTotals)
            {
                // What EmittedKernels.RunBytes does before a first slice: the tile adds to its totals.
                new Span<float>(totals, rows * PanelColumns).Clear();
            }
            var arguments = TileArguments.Create(a, aStride, scales, scaleStride, panel, tileBlocks, totals);
            tile(0, 0, 0, &arguments);
        });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(5)]
    public void RunBytes_RejectsARowCountOutsideTheTile(int rows)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => EmittedKernels.RunBytes(rows, null, 0, null, 0, null, 1, Int8Layout.ForByteActivations(128), null, continueTotals: false));
        Assert.Equal("rows", error.ParamName);
        Assert.Contains("1..4", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void RunBytes_RejectsFewerThanOneBlock(int blocks)
    {
        // The tile tests its loop's end after a block: zero blocks would run it through memory until it faults.
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => EmittedKernels.RunBytes(1, null, 0, null, 0, null, blocks, Int8Layout.ForByteActivations(128), null, continueTotals: false));
        Assert.Equal("blocks", error.ParamName);
        Assert.Contains("at least 1 block", error.Message);
    }

    [Fact]
    public void RunBytes_RejectsTheSixteenBitLayout()
    {
        var error = Assert.Throws<ArgumentException>(() => EmittedKernels.RunBytes(1, null, 0, null, 0, null, 1, Int8Layout.For(WeightFormat.Int8A16, 4096), null, continueTotals: false));
        Assert.Equal("layout", error.ParamName);
        Assert.Contains("Int8A16 blocks of 32", error.Message);
    }

    [Fact]
    public void ExecutableMemory_NamesTheCallAndTheErrno_WhenTheOsRefuses()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("Linux's mmap refuses a zero-length mapping with EINVAL");
        }
        Assert.Null(ExecutableMemory.TryCreate([], out var failure));
        Assert.Equal("mmap(PROT_READ|PROT_WRITE) failed: errno 22, Invalid argument", failure);
    }

    [Fact]
    public void KernelPath_NamesTheEmittedTileExactlyWhenItIsUsed()
    {
        Assert.Equal(EmittedKernels.HasVnniTile, KernelPath.Current.Int8.Contains("emitted", StringComparison.Ordinal));
        if (KernelPath.Current.Name != "avx512")
        {
            Assert.False(EmittedKernels.HasVnniTile);
        }
    }

    [Theory]
    [InlineData("0", true)]
    [InlineData(" off", true)]
    [InlineData("FALSE", true)]
    [InlineData("no", true)]
    [InlineData("1", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Switch_TurnsTheTileOffWith0FalseOffOrNo(string? value, bool off) => Assert.Equal(off, EmittedKernels.IsSwitchedOff(value));

    private static void RequireTile()
    {
        if (!EmittedKernels.HasVnniTile)
        {
            // Whether it should be here is Tile_IsInUse_ExactlyWhereTheCpuAndTheOsAllowIt's question.
            Assert.Skip($"no emitted tile in this process: {EmittedKernels.UnavailableReason}");
        }
    }

    private delegate void TileCall(byte* a, nint aStride, float* scales, nint scaleStride, byte* panel, int blocks, float* totals, bool continueTotals);

    /// <summary>
    /// The emitted tile against the managed one over <paramref name="blocks"/> blocks: called once, or with
    /// <paramref name="split"/> &gt; 0 as two slices, the second continuing the first's totals.
    /// </summary>
    private static void AssertSameBitsAsTheManagedTile(int rows, Int8Layout layout, int blocks, bool extremes, int split, TileCall emittedTile)
    {
        var random = new Random(rows * 1000 + blocks + layout.BlockSize);
        var blockBytes = layout.BlockSize * PanelColumns + 2 * PanelColumns * sizeof(int);   // weights, scales, corrections
        var stride = blocks * layout.BlockSize + 16;   // rows further apart than one row's values
        var scaleStride = blocks + 3;
        using var panel = new Aligned(blocks * blockBytes);
        using var activations = new Aligned(MicroKernel.Int8Rows * stride);
        using var scales = new Aligned(MicroKernel.Int8Rows * scaleStride * sizeof(float));
        using var managed = new Aligned(MicroKernel.Int8Rows * PanelColumns * sizeof(float));
        using var emitted = new Aligned(MicroKernel.Int8Rows * PanelColumns * sizeof(float));

        // Any bytes are a valid panel for the arithmetic: int8 weights, fp32 weight scales, int32 corrections.
        var weightScalesOffset = layout.BlockSize * PanelColumns;
        for (var b = 0; b < blocks; b++)
        {
            var block = panel.Bytes + b * blockBytes;
            for (var i = 0; i < weightScalesOffset; i++)
            {
                block[i] = extremes ? (byte)(random.Next(2) == 0 ? 0x80 : 0x7F) : (byte)random.Next(256);
            }
            var weightScales = (float*)(block + weightScalesOffset);
            var corrections = (int*)(weightScales + PanelColumns);
            for (var j = 0; j < PanelColumns; j++)
            {
                weightScales[j] = (float)(random.NextDouble() * 1e-2);
                corrections[j] = -64 * random.Next(-4096, 4096);
            }
        }
        // Activations are stored as q + 64, 1..127 (the 7-bit range that keeps vpmaddubsw from saturating).
        for (var i = 0; i < MicroKernel.Int8Rows * stride; i++)
        {
            activations.Bytes[i] = extremes ? (byte)127 : (byte)random.Next(1, 128);
        }
        var scaleValues = (float*)scales.Bytes;
        for (var i = 0; i < MicroKernel.Int8Rows * scaleStride; i++)
        {
            scaleValues[i] = (float)(random.NextDouble() * 0.1 - 0.05);
        }
        // Garbage in the totals: both tiles must start from zero.
        new Span<byte>(managed.Bytes, managed.Length).Fill(0x5A);
        new Span<byte>(emitted.Bytes, emitted.Length).Fill(0xA5);

        MicroKernel.RunBytes<Width512, Vector512<float>, Vector512<int>>(rows, activations.Bytes, stride, scaleValues, scaleStride,
            panel.Bytes, blocks, layout, (float*)managed.Bytes, continueTotals: false);
        if (split == 0)
        {
            emittedTile(activations.Bytes, stride, scaleValues, scaleStride, panel.Bytes, blocks, (float*)emitted.Bytes, false);
        }
        else
        {
            emittedTile(activations.Bytes, stride, scaleValues, scaleStride, panel.Bytes, split, (float*)emitted.Bytes, false);
            emittedTile(activations.Bytes + split * layout.BlockSize, stride, scaleValues + split, scaleStride, panel.Bytes + split * blockBytes, blocks - split,
                (float*)emitted.Bytes, true);
        }

        var expected = new ReadOnlySpan<int>(managed.Bytes, rows * PanelColumns);
        var actual = new ReadOnlySpan<int>(emitted.Bytes, rows * PanelColumns);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(expected[i] == actual[i],
                $"row {i / PanelColumns} column {i % PanelColumns}: managed {BitConverter.Int32BitsToSingle(expected[i])}, emitted {BitConverter.Int32BitsToSingle(actual[i])}");
        }
        // Rows beyond the tile are not written.
        Assert.True(new ReadOnlySpan<byte>(emitted.Bytes + rows * PanelColumns * sizeof(float), (MicroKernel.Int8Rows - rows) * PanelColumns * sizeof(float))
            .IndexOfAnyExcept((byte)0xA5) < 0);
    }

    /// <summary>Native memory aligned to a cache line, as the packed panels and the workspace are.</summary>
    private sealed class Aligned(int length) : IDisposable
    {
        public byte* Bytes { get; } = (byte*)NativeMemory.AlignedAlloc((nuint)length, 64);

        public int Length => length;

        public void Dispose() => NativeMemory.AlignedFree(Bytes);
    }
}
