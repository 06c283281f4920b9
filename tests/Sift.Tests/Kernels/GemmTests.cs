using Sift.Kernels;

namespace Sift.Tests.Kernels;

public sealed class GemmTests
{
    private static readonly WorkerPool Pool = new(3);

    public static TheoryData<WeightFormat, int, int, int> Shapes() => new()
    {
        { WeightFormat.F32, 1, 64, 32 },
        { WeightFormat.BF16, 3, 70, 45 },
        { WeightFormat.F16, 8, 33, 96 },
        { WeightFormat.BF16, 17, 128, 100 },
        { WeightFormat.F16, 40, 64, 31 },
        { WeightFormat.F32, 23, 200, 65 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Multiply_Store_MatchesDoublePrecisionProduct(WeightFormat format, int m, int k, int n)
    {
        var (a, w) = RandomProblem(format, m, k, n, seed: m * 1000 + k);
        using var packed = PackedMatrix.Pack(format, n, k, (row, dst) => w.AsSpan(row * k, k).CopyTo(dst), Pool);
        var c = new float[m * n];
        Gemm.Multiply(a, m, k, packed, c, n, GemmOutput.Store, Pool);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var expected = Enumerable.Range(0, k).Sum(x => (double)a[i * k + x] * w[j * k + x]);
                Assert.True(Math.Abs(expected - c[i * n + j]) < 1e-4, $"C[{i},{j}] = {c[i * n + j]}, expected {expected}");
            }
        }
    }

    [Fact]
    public void Multiply_Add_AccumulatesIntoOutputWithStrides()
    {
        const int m = 5, k = 40, n = 20, lda = 48, ldc = 24;
        var (a, w) = RandomProblem(WeightFormat.BF16, m, k, n, seed: 3);
        var strided = new float[m * lda];
        for (var i = 0; i < m; i++)
        {
            a.AsSpan(i * k, k).CopyTo(strided.AsSpan(i * lda));
        }
        using var packed = PackedMatrix.Pack(WeightFormat.BF16, n, k, (row, dst) => w.AsSpan(row * k, k).CopyTo(dst), Pool);
        var c = Enumerable.Range(0, m * ldc).Select(i => (float)i).ToArray();
        Gemm.Multiply(strided, m, lda, packed, c, ldc, GemmOutput.Add, Pool);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < ldc; j++)
            {
                var initial = i * ldc + j;
                var expected = j < n ? initial + Enumerable.Range(0, k).Sum(x => (double)a[i * k + x] * w[j * k + x]) : initial;
                Assert.True(Math.Abs(expected - c[i * ldc + j]) < 1e-3, $"C[{i},{j}] = {c[i * ldc + j]}, expected {expected}");
            }
        }
    }

    [Theory]
    [InlineData(16)]
    [InlineData(72)]
    public void Multiply_SwiGlu_WritesSiluOfGateTimesUp(int features)
    {
        const int m = 19, k = 24;
        var random = new Random(features);
        var a = RandomFloats(random, m * k);
        var gate = RandomFloats(random, features * k);
        var up = RandomFloats(random, features * k);
        using var packed = PackedMatrix.PackGateUp(WeightFormat.F32, features, k,
            (row, dst) => gate.AsSpan(row * k, k).CopyTo(dst), (row, dst) => up.AsSpan(row * k, k).CopyTo(dst), Pool);
        var c = new float[m * features];
        Gemm.Multiply(a, m, k, packed, c, features, GemmOutput.SwiGlu, Pool);
        for (var i = 0; i < m; i++)
        {
            for (var f = 0; f < features; f++)
            {
                var g = Enumerable.Range(0, k).Sum(x => (double)a[i * k + x] * gate[f * k + x]);
                var u = Enumerable.Range(0, k).Sum(x => (double)a[i * k + x] * up[f * k + x]);
                var expected = g / (1 + Math.Exp(-g)) * u;
                Assert.True(Math.Abs(expected - c[i * features + f]) < 1e-4, $"C[{i},{f}] = {c[i * features + f]}, expected {expected}");
            }
        }
    }

    [Theory]
    [InlineData(WeightFormat.BF16)]
    [InlineData(WeightFormat.F16)]
    [InlineData(WeightFormat.F32)]
    public void Multiply_RowAloneOrInAnyBatch_IsBitwiseIdentical(WeightFormat format)
    {
        const int k = 96, n = 70, maxRows = 37;
        var (a, w) = RandomProblem(format, maxRows, k, n, seed: 5);
        using var packed = PackedMatrix.Pack(format, n, k, (row, dst) => w.AsSpan(row * k, k).CopyTo(dst), Pool);
        var full = new float[maxRows * n];
        Gemm.Multiply(a, maxRows, k, packed, full, n, GemmOutput.Store, Pool);
        // Every prefix size goes through a different mix of tile heights and of the
        // register-widening and panel-widening paths; the bits must not change.
        for (var rows = 1; rows < maxRows; rows++)
        {
            var partial = new float[rows * n];
            Gemm.Multiply(a.AsSpan(0, rows * k), rows, k, packed, partial, n, GemmOutput.Store, Pool);
            Assert.Equal(full.AsSpan(0, rows * n).ToArray(), partial);
        }
        var last = new float[n];
        Gemm.Multiply(a.AsSpan((maxRows - 1) * k, k), 1, k, packed, last, n, GemmOutput.Store, Pool);
        Assert.Equal(full.AsSpan((maxRows - 1) * n, n).ToArray(), last);
    }

    [Fact]
    public void Multiply_OutputTooSmall_NamesTheSizes()
    {
        using var packed = PackedMatrix.Pack(WeightFormat.F32, 8, 8, (_, dst) => dst.Fill(1), Pool);
        var error = Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[16], 2, 8, packed, new float[10], 8, GemmOutput.Store, Pool));
        Assert.Contains("output holds 10 floats", error.Message);
    }

    private static (float[] A, float[] W) RandomProblem(WeightFormat format, int m, int k, int n, int seed)
    {
        var random = new Random(seed);
        var a = RandomFloats(random, m * k);
        var w = RandomFloats(random, n * k).Select(v => format switch
        {
            WeightFormat.BF16 => BitConverter.UInt32BitsToSingle((uint)NumberFormats.ToBFloat16(v) << 16),
            WeightFormat.F16 => (float)(Half)v,
            _ => v,
        }).ToArray();
        return (a, w);
    }

    private static float[] RandomFloats(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
}
