using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Sift.Kernels;
using Sift.Kernels.Emitted;
using Sift.Kernels.Vectors;

namespace Sift.Tests.Kernels;

/// <summary>The run-time emitted AVX-512 VNNI int8 tile against the managed 512-bit tile it replaces: the same bits.</summary>
public sealed unsafe class EmittedKernelTests
{
    private const int PanelColumns = 32;

    public static TheoryData<int, int, bool> Tiles()
    {
        var tiles = new TheoryData<int, int, bool>();
        foreach (var rows in new[] { 1, 2, 3, 4 })
        {
            tiles.Add(rows, 1, false);
            tiles.Add(rows, 7, false);
            tiles.Add(rows, 96, false);
            tiles.Add(rows, 5, true);
        }
        return tiles;
    }

    [Theory]
    [MemberData(nameof(Tiles))]
    public void EmittedTile_GivesTheManagedTilesBits(int rows, int blocks, bool extremes)
    {
        if (!EmittedKernels.HasVnniTile)
        {
            Assert.Skip($"no emitted tile in this process (kernel path {KernelPath.Current.Name}, AVX-512 VNNI or executable memory missing, or SIFT_EMITTED_KERNELS=0)");
        }
        var random = new Random(rows * 1000 + blocks);
        var blockBytes = PackedMatrix.Int8BlockBytes(WeightFormat.Int8, PanelColumns);
        var stride = blocks * Q8Blocks.BlockSize + 16;   // rows further apart than one row's values
        var scaleStride = blocks + 3;
        using var panel = new Aligned(blocks * blockBytes);
        using var activations = new Aligned(MicroKernel.Int8Rows * stride);
        using var scales = new Aligned(MicroKernel.Int8Rows * scaleStride * sizeof(float));
        using var managed = new Aligned(MicroKernel.Int8Rows * PanelColumns * sizeof(float));
        using var emitted = new Aligned(MicroKernel.Int8Rows * PanelColumns * sizeof(float));

        // Any bytes are a valid panel for the arithmetic: int8 weights, fp32 weight scales, int32 corrections.
        var weightScalesOffset = Q8Blocks.BlockSize * PanelColumns;
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
            panel.Bytes, blocks, (float*)managed.Bytes);
        EmittedKernels.RunBytes(rows, activations.Bytes, stride, scaleValues, scaleStride, panel.Bytes, blocks, (float*)emitted.Bytes);

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

    [Fact]
    public void RunBytes_RejectsARowCountOutsideTheTile()
    {
        if (!EmittedKernels.HasVnniTile)
        {
            Assert.Skip("no emitted tile in this process");
        }
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => EmittedKernels.RunBytes(5, null, 0, null, 0, null, 1, null));
        Assert.Contains("1..4", error.Message);
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

    /// <summary>Native memory aligned to a cache line, as the packed panels and the workspace are.</summary>
    private sealed class Aligned(int length) : IDisposable
    {
        public byte* Bytes { get; } = (byte*)NativeMemory.AlignedAlloc((nuint)length, 64);

        public int Length => length;

        public void Dispose() => NativeMemory.AlignedFree(Bytes);
    }
}
