using Sift.Kernels;

namespace Sift.Tests.Kernels;

public sealed class Int8GemmTests
{
    private static readonly WorkerPool Pool = new(2);

    [Theory]
    [InlineData(1, 64, 32)]
    [InlineData(5, 96, 70)]
    [InlineData(13, 40, 33)]
    [InlineData(64, 256, 64)]
    public void Multiply_Int8Weights_MatchesProductOfDequantizedWeights(int m, int k, int n)
    {
        var random = new Random(m + k + n);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var w = Enumerable.Range(0, n * k).Select(_ => (float)(random.NextDouble() * 0.2 - 0.1)).ToArray();
        using var packed = PackedMatrix.Pack(WeightFormat.Int8, n, k, (row, dst) => w.AsSpan(row * k, k).CopyTo(dst), Pool);
        var c = new float[m * n];
        Gemm.Multiply(a, m, k, packed, c, n, GemmOutput.Store, Pool);

        var dequantized = Dequantize(w, n, k);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var expected = Enumerable.Range(0, k).Sum(x => (double)a[i * k + x] * dequantized[j * k + x]);
                // Only the 15-bit activation rounding separates the two: relative 2^-15 per block.
                Assert.True(Math.Abs(expected - c[i * n + j]) < 2e-4 * (1 + Math.Abs(expected)), $"C[{i},{j}] = {c[i * n + j]}, expected {expected}");
            }
        }
    }

    [Fact]
    public void Multiply_Int8RowAloneOrInAnyBatch_IsBitwiseIdentical()
    {
        const int k = 128, n = 64, rows = 11;
        var random = new Random(3);
        var a = Enumerable.Range(0, rows * k).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var w = Enumerable.Range(0, n * k).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        using var packed = PackedMatrix.Pack(WeightFormat.Int8, n, k, (row, dst) => w.AsSpan(row * k, k).CopyTo(dst), Pool);
        var all = new float[rows * n];
        Gemm.Multiply(a, rows, k, packed, all, n, GemmOutput.Store, Pool);
        for (var r = 0; r < rows; r++)
        {
            var one = new float[n];
            Gemm.Multiply(a.AsSpan(r * k, k), 1, k, packed, one, n, GemmOutput.Store, Pool);
            Assert.Equal(all.AsSpan(r * n, n).ToArray(), one);
        }
    }

    [Fact]
    public void Multiply_Int8GateUp_WritesSwiGluOfDequantizedProducts()
    {
        const int m = 6, k = 64, features = 40;
        var random = new Random(8);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var gate = Enumerable.Range(0, features * k).Select(_ => (float)(random.NextDouble() * 0.4 - 0.2)).ToArray();
        var up = Enumerable.Range(0, features * k).Select(_ => (float)(random.NextDouble() * 0.4 - 0.2)).ToArray();
        using var packed = PackedMatrix.PackGateUp(WeightFormat.Int8, features, k,
            (row, dst) => gate.AsSpan(row * k, k).CopyTo(dst), (row, dst) => up.AsSpan(row * k, k).CopyTo(dst), Pool);
        var c = new float[m * features];
        Gemm.Multiply(a, m, k, packed, c, features, GemmOutput.SwiGlu, Pool);
        var (g, u) = (Dequantize(gate, features, k), Dequantize(up, features, k));
        for (var i = 0; i < m; i++)
        {
            for (var f = 0; f < features; f++)
            {
                var x = Enumerable.Range(0, k).Sum(j => (double)a[i * k + j] * g[f * k + j]);
                var y = Enumerable.Range(0, k).Sum(j => (double)a[i * k + j] * u[f * k + j]);
                var expected = x / (1 + Math.Exp(-x)) * y;
                Assert.True(Math.Abs(expected - c[i * features + f]) < 1e-4, $"C[{i},{f}] = {c[i * features + f]}, expected {expected}");
            }
        }
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

    private static float[] Dequantize(float[] weights, int rows, int columns)
    {
        var result = new float[weights.Length];
        var block = new float[32];
        var q = new sbyte[32];
        for (var r = 0; r < rows; r++)
        {
            for (var b = 0; b * 32 < columns; b++)
            {
                Array.Clear(block);
                var width = Math.Min(32, columns - b * 32);
                weights.AsSpan(r * columns + b * 32, width).CopyTo(block);
                var scale = Q8Blocks.Quantize(block, q);
                for (var i = 0; i < width; i++)
                {
                    result[r * columns + b * 32 + i] = q[i] * scale;
                }
            }
        }
        return result;
    }
}
