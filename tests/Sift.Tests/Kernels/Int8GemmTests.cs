using Sift.Kernels;

namespace Sift.Tests.Kernels;

public sealed class Int8GemmTests
{
    private static readonly WorkerPool Pool = new(2);

    public static TheoryData<WeightFormat, int, int, int> Shapes()
    {
        var shapes = new TheoryData<WeightFormat, int, int, int>();
        foreach (var format in new[] { WeightFormat.Int8, WeightFormat.Int8A16 })
        {
            shapes.Add(format, 1, 64, 32);
            shapes.Add(format, 5, 96, 70);
            shapes.Add(format, 13, 40, 33);
            shapes.Add(format, 64, 256, 64);
            shapes.Add(format, 3, 1024, 40);   // the 8-bit mode's blocks of 128 (rows of 1024 or more): 8 whole ones
            shapes.Add(format, 6, 1100, 33);   // 8 whole and a partial one
        }
        return shapes;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Multiply_Int8Weights_EqualsTheProductOfQuantizedActivationsAndWeights(WeightFormat format, int m, int k, int n)
    {
        var random = new Random(m + k + n);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var w = Enumerable.Range(0, n * k).Select(_ => (float)(random.NextDouble() * 0.2 - 0.1)).ToArray();
        using var packed = PackedMatrix.Pack(format, n, k, (row, dst) => w.AsSpan(row * k, k).CopyTo(dst), Pool);
        var c = new float[m * n];
        Gemm.Multiply(a, m, k, packed, c, n, GemmOutput.Store, Pool);

        AssertIsTheQuantizedProduct(format, a, w, m, k, n, c, Enumerable.Range(0, m).SelectMany(i => Enumerable.Range(0, n).Select(j => (i, j))));
    }

    [Theory]
    [InlineData(WeightFormat.Int8, 96)]
    [InlineData(WeightFormat.Int8A16, 96)]
    [InlineData(WeightFormat.Int8, 100)]
    [InlineData(WeightFormat.Int8A16, 100)]
    [InlineData(WeightFormat.Int8, 1100)]
    public void Multiply_Int8Weights_ANonFiniteActivationMakesItsRowNonFinite_AndNoOtherRow(WeightFormat format, int k)
    {
        // The quantizer must not turn a NaN into an ordinary small integer: the block's scale carries it
        // (k = 100, and 1100 with the 8-bit mode's blocks of 128: the infinity sits in the last, zero-padded block).
        const int m = 6, n = 40;
        var random = new Random(5);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var w = Enumerable.Range(0, n * k).Select(_ => (float)(random.NextDouble() * 0.2 - 0.1)).ToArray();
        using var packed = PackedMatrix.Pack(format, n, k, (row, dst) => w.AsSpan(row * k, k).CopyTo(dst), Pool);
        var clean = new float[m * n];
        Gemm.Multiply(a, m, k, packed, clean, n, GemmOutput.Store, Pool);
        a[2 * k + 37] = float.NaN;
        a[4 * k + k - 1] = float.PositiveInfinity;
        var c = new float[m * n];
        Gemm.Multiply(a, m, k, packed, c, n, GemmOutput.Store, Pool);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                if (i is 2 or 4)
                {
                    Assert.False(float.IsFinite(c[i * n + j]), $"C[{i},{j}] = {c[i * n + j]} from a row with a non-finite activation");
                }
                else
                {
                    Assert.Equal(clean[i * n + j], c[i * n + j]);
                }
            }
        }
    }

    /// <summary>
    /// Two row blocks, the second of more rows than <see cref="Gemm.Int8SliceMinRows"/>, with 3072 inputs: the
    /// batch multiplies each panel in slices of its inputs, carrying the totals between them; a row alone is
    /// not sliced. 300 outputs give a work item more than one panel (each must start its totals afresh) on
    /// every path. Same bits either way, and the sliced batch still matches the product of the quantized operands.
    /// </summary>
    [Theory]
    [InlineData(WeightFormat.Int8)]
    [InlineData(WeightFormat.Int8A16)]
    public void Multiply_Int8RowsOfASlicedBatch_AreBitwiseTheRowsAlone_AndTheQuantizedProduct(WeightFormat format)
    {
        const int n = 300, k = 3072, rows = Gemm.Int8RowBlock + Gemm.Int8SliceMinRows + 5;
        var random = new Random(5);
        var a = Enumerable.Range(0, rows * k).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var w = Enumerable.Range(0, n * k).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        using var packed = PackedMatrix.Pack(format, n, k, (row, dst) => w.AsSpan(row * k, k).CopyTo(dst), Pool);
        var layout = Int8Layout.For(format, k);
        Assert.True(Gemm.Int8Slices(layout, layout.Blocks(k)) > 1, $"{format} with {k} inputs is not sliced on this path: the test would not test slicing");
        var all = MultiplyAsABatchAndRowByRow(a, rows, k, packed);
        AssertIsTheQuantizedProduct(format, a, w, rows, k, n, all, [(0, 0), (rows - 1, n - 1), (17, 233), (rows - 3, 37), (140, 299)]);
    }

    [Theory]
    [InlineData(WeightFormat.Int8, 64)]
    [InlineData(WeightFormat.Int8, 1024)]
    [InlineData(WeightFormat.Int8A16, 64)]
    public void Multiply_Int8Weights_ABlockOfValuesBelowTheNormalRangeIsZero_OnEveryPath(WeightFormat format, int k)
    {
        // limit / max|x| overflows to ∞ for a block whose largest value is under ~1e-37; ∞·x converts
        // differently by CPU, so such a block is stored as zeros: its products are 0, and the rest exact.
        const int m = 2, n = 32;
        var block = BlockSize(format, k);
        var random = new Random(9);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        // Row 0 holds only the tiny block (and zeros), so that any product of it shows: it must be exactly 0.
        Array.Clear(a, 0, k);
        for (var i = 0; i < block; i++)
        {
            a[i] = (i % 2 == 0 ? 1 : -1) * 1e-38f * (i + 1) / block;
        }
        var w = Enumerable.Range(0, n * k).Select(_ => (float)(random.NextDouble() * 0.2 - 0.1)).ToArray();
        using var packed = PackedMatrix.Pack(format, n, k, (row, dst) => w.AsSpan(row * k, k).CopyTo(dst), Pool);
        var c = new float[m * n];
        Gemm.Multiply(a, m, k, packed, c, n, GemmOutput.Store, Pool);
        var withoutTinyBlock = (float[])a.Clone();
        Array.Clear(withoutTinyBlock, 0, block);
        var expected = new float[m * n];
        Gemm.Multiply(withoutTinyBlock, m, k, packed, expected, n, GemmOutput.Store, Pool);
        Assert.All(expected.Take(n), value => Assert.Equal(0f, value));
        Assert.Equal(expected, c);
    }

    [Theory]
    [InlineData(WeightFormat.Int8, 0.02, 256)]
    [InlineData(WeightFormat.Int8, 0.02, 1024)]
    [InlineData(WeightFormat.Int8A16, 2e-4, 256)]
    public void Multiply_Int8Weights_StaysNearTheProductOfDequantizedWeights(WeightFormat format, double relativeError, int k)
    {
        // The activations' rounding alone: half a step of 2·max/127 (or /65535) per value, relative to the block's largest.
        const int m = 9, n = 48;
        var random = new Random(17);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var w = Enumerable.Range(0, n * k).Select(_ => (float)(random.NextDouble() * 0.2 - 0.1)).ToArray();
        using var packed = PackedMatrix.Pack(format, n, k, (row, dst) => w.AsSpan(row * k, k).CopyTo(dst), Pool);
        var c = new float[m * n];
        Gemm.Multiply(a, m, k, packed, c, n, GemmOutput.Store, Pool);
        var dequantized = Dequantize(w, n, k, BlockSize(format, k));
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var expected = Enumerable.Range(0, k).Sum(x => (double)a[i * k + x] * dequantized[j * k + x]);
                var scale = Enumerable.Range(0, k).Sum(x => Math.Abs((double)a[i * k + x] * dequantized[j * k + x]));
                Assert.True(Math.Abs(expected - c[i * n + j]) < relativeError * scale, $"C[{i},{j}] = {c[i * n + j]}, expected {expected}");
            }
        }
    }

    [Theory]
    [InlineData(WeightFormat.Int8, 128)]
    [InlineData(WeightFormat.Int8, 1024)]
    [InlineData(WeightFormat.Int8A16, 128)]
    public void Multiply_Int8RowAloneOrInAnyBatch_IsBitwiseIdentical(WeightFormat format, int k)
    {
        const int n = 64, rows = 11;
        var random = new Random(3);
        var a = Enumerable.Range(0, rows * k).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var w = Enumerable.Range(0, n * k).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        using var packed = PackedMatrix.Pack(format, n, k, (row, dst) => w.AsSpan(row * k, k).CopyTo(dst), Pool);
        MultiplyAsABatchAndRowByRow(a, rows, k, packed);
    }

    [Theory]
    [InlineData(WeightFormat.Int8, 64)]
    [InlineData(WeightFormat.Int8, 1024)]
    [InlineData(WeightFormat.Int8A16, 64)]
    public void Multiply_Int8GateUp_WritesSwiGluOfQuantizedProducts(WeightFormat format, int k)
    {
        const int m = 6, features = 40;
        var random = new Random(8);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var gate = Enumerable.Range(0, features * k).Select(_ => (float)(random.NextDouble() * 0.4 - 0.2)).ToArray();
        var up = Enumerable.Range(0, features * k).Select(_ => (float)(random.NextDouble() * 0.4 - 0.2)).ToArray();
        using var packed = PackedMatrix.PackGateUp(format, features, k,
            (row, dst) => gate.AsSpan(row * k, k).CopyTo(dst), (row, dst) => up.AsSpan(row * k, k).CopyTo(dst), Pool);
        var c = new float[m * features];
        Gemm.Multiply(a, m, k, packed, c, features, GemmOutput.SwiGlu, Pool);
        var (g, u) = (Dequantize(gate, features, k, BlockSize(format, k)), Dequantize(up, features, k, BlockSize(format, k)));
        var activations = QuantizeActivations(a, m, k, format == WeightFormat.Int8 ? 63 : 32767, BlockSize(format, k));
        for (var i = 0; i < m; i++)
        {
            for (var f = 0; f < features; f++)
            {
                var x = Enumerable.Range(0, k).Sum(j => activations[i * k + j] * g[f * k + j]);
                var y = Enumerable.Range(0, k).Sum(j => activations[i * k + j] * u[f * k + j]);
                var expected = x / (1 + Math.Exp(-x)) * y;
                Assert.True(Math.Abs(expected - c[i * features + f]) < 1e-5, $"C[{i},{f}] = {c[i * features + f]}, expected {expected}");
            }
        }
    }

    [Theory]
    [InlineData(false, 128)]
    [InlineData(true, 32)]
    public void Multiply_Q8ZeroWeightsOnWideRows_KeepTheirBlocksOnlyWhenAsked(bool keepQ8Blocks, int expectedBlock)
    {
        // Weights that are Q8_0 already (each block of 32 is q · fp16 scale): kept, they pass through
        // unchanged, so the product is that of the original values; otherwise they are re-rounded to
        // blocks of 128, and the result is that of the re-rounded weights, which differs.
        const int m = 4, k = 1024, n = 40;
        var random = new Random(21);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var w = Dequantize(Enumerable.Range(0, n * k).Select(_ => (float)(random.NextDouble() * 0.2 - 0.1)).ToArray(), n, k, 32);
        using var packed = PackedMatrix.Pack(WeightFormat.Int8, n, k, (row, dst) => w.AsSpan(row * k, k).CopyTo(dst), Pool, keepQ8Blocks);
        Assert.Equal(expectedBlock, packed.Int8Layout.BlockSize);
        var c = new float[m * n];
        Gemm.Multiply(a, m, k, packed, c, n, GemmOutput.Store, Pool);
        var weights = Dequantize(w, n, k, expectedBlock);
        // The case is only telling if re-rounding to blocks of 128 changes these weights.
        Assert.Equal(keepQ8Blocks, weights.SequenceEqual(w));
        var activations = QuantizeActivations(a, m, k, 63, expectedBlock);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var expected = Enumerable.Range(0, k).Sum(x => activations[i * k + x] * weights[j * k + x]);
                Assert.True(Math.Abs(expected - c[i * n + j]) < 1e-5 * (1 + Math.Abs(expected)), $"C[{i},{j}] = {c[i * n + j]}, expected {expected}");
            }
        }
    }

    /// <summary>
    /// <paramref name="c"/>'s <paramref name="cells"/> against both operands quantized as the kernel is specified to
    /// (activations per block to 7 or 15 bits, weights by Q8_0's rules, both in blocks of 128 or 32), then
    /// multiplied in double: only fp32 rounding remains.
    /// </summary>
    private static void AssertIsTheQuantizedProduct(WeightFormat format, float[] a, float[] w, int m, int k, int n, float[] c, IEnumerable<(int Row, int Column)> cells)
    {
        var dequantized = Dequantize(w, n, k, BlockSize(format, k));
        var activations = QuantizeActivations(a, m, k, format == WeightFormat.Int8 ? 63 : 32767, BlockSize(format, k));
        foreach (var (i, j) in cells)
        {
            var expected = Enumerable.Range(0, k).Sum(x => activations[i * k + x] * dequantized[j * k + x]);
            Assert.True(Math.Abs(expected - c[i * n + j]) < 1e-5 * (1 + Math.Abs(expected)), $"C[{i},{j}] = {c[i * n + j]}, expected {expected}");
        }
    }

    /// <summary>The product of all <paramref name="rows"/> in one call, after checking that each row multiplied alone gives the same bits.</summary>
    private static float[] MultiplyAsABatchAndRowByRow(float[] a, int rows, int k, PackedMatrix packed)
    {
        var n = packed.OutputColumns;
        var all = new float[rows * n];
        Gemm.Multiply(a, rows, k, packed, all, n, GemmOutput.Store, Pool);
        for (var r = 0; r < rows; r++)
        {
            var one = new float[n];
            Gemm.Multiply(a.AsSpan(r * k, k), 1, k, packed, one, n, GemmOutput.Store, Pool);
            Assert.Equal(all.AsSpan(r * n, n).ToArray(), one);
        }
        return all;
    }

    [Fact]
    public void Layout_TheSixteenBitModeKeepsQ8ZeroBlocksOnEveryRow_AndTheEightBitModeWidensFrom1024()
    {
        Assert.Equal(32, Int8Layout.For(WeightFormat.Int8A16, 4096).BlockSize);
        Assert.Equal(32, Int8Layout.For(WeightFormat.Int8, 1023).BlockSize);
        Assert.Equal(128, Int8Layout.For(WeightFormat.Int8, 1024).BlockSize);
        Assert.Equal(32, Int8Layout.For(WeightFormat.Int8, 1024, keepQ8Blocks: true).BlockSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => Int8Layout.For(WeightFormat.BF16, 1024));
        Assert.Throws<ArgumentOutOfRangeException>(() => Int8Layout.ForByteActivations(64));
    }

    [Fact]
    public unsafe void SharedScratch_WithoutItsLock_IsRefused()
    {
        // Two models share the pool: the int8 GEMM's activations live in the shared scratch between
        // two loops, so using it without holding the lock across both would let another GEMM overwrite them.
        Assert.Throws<InvalidOperationException>(() => { _ = (nint)Pool.SharedScratch(64); });
        lock (Pool.SharedScratchLock)
        {
            Assert.NotEqual(0, (nint)Pool.SharedScratch(64));
        }
    }

    [Fact]
    public void Quantize_MatchesQ8ZeroRulesAndIsIdempotent()
    {
        var values = Enumerable.Range(0, 32).Select(i => (i - 16) * 0.37f).ToArray();
        var q = new sbyte[32];
        var scale = Q8Blocks.Quantize(values, q);
        Assert.Equal((float)(Half)(16 * 0.37f / 127), scale);
        Assert.Equal(-127, q[0]);
        Assert.Equal(0, q[16]);
        var again = new sbyte[32];
        var rescale = Q8Blocks.Quantize(q.Select(v => v * scale).ToArray(), again);
        Assert.Equal(scale, rescale);
        Assert.Equal(q, again);
    }

    /// <summary>The block size each int8 mode is specified with: 128 inputs for the 8-bit activations on rows of 1024 or more, else Q8_0's 32.</summary>
    private static int BlockSize(WeightFormat format, int columns) => format == WeightFormat.Int8 && columns >= 1024 ? 128 : 32;

    /// <summary>Each row's blocks as the activation quantizer is specified: q = round(x · (limit / max|x|)) to even, value q · (max|x| / limit), in float.</summary>
    private static double[] QuantizeActivations(float[] values, int rows, int columns, int limit, int blockSize)
    {
        var result = new double[values.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var start = 0; start < columns; start += blockSize)
            {
                var block = values.AsSpan(r * columns + start, Math.Min(blockSize, columns - start));
                var amax = 0f;
                foreach (var x in block)
                {
                    amax = Math.Max(amax, Math.Abs(x));
                }
                var factor = amax == 0 ? 0f : limit / amax;
                var scale = amax / limit;
                for (var i = 0; i < block.Length; i++)
                {
                    result[r * columns + start + i] = MathF.Round(block[i] * factor, MidpointRounding.ToEven) * (double)scale;
                }
            }
        }
        return result;
    }

    /// <summary>
    /// Each row's blocks through Q8_0's rules, written out here rather than taken from the library:
    /// scale = max|w| / 127 (stored as fp16), q = round(w / scale) half away from zero, value q · stored scale.
    /// </summary>
    private static float[] Dequantize(float[] weights, int rows, int columns, int blockSize)
    {
        var result = new float[weights.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var start = 0; start < columns; start += blockSize)
            {
                var block = weights.AsSpan(r * columns + start, Math.Min(blockSize, columns - start));
                var max = 0f;
                foreach (var w in block)
                {
                    max = Math.Max(max, Math.Abs(w));
                }
                var scale = max / 127f;
                var inverse = scale != 0 ? 1f / scale : 0f;
                var stored = (float)(Half)scale;
                for (var i = 0; i < block.Length; i++)
                {
                    result[r * columns + start + i] = MathF.Round(block[i] * inverse, MidpointRounding.AwayFromZero) * stored;
                }
            }
        }
        return result;
    }
}
