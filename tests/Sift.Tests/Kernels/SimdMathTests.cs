using Sift.Kernels;
using Sift.Kernels.Vectors;

namespace Sift.Tests.Kernels;

public sealed class SimdMathTests
{
    public static TheoryData<int> Widths() => VectorWidths.Supported();

    [Theory]
    [MemberData(nameof(Widths))]
    public void Exp_AcrossTheRange_IsWithinTwoUlpOfDoublePrecision(int width)
    {
        var random = new Random(21);
        var x = Enumerable.Range(0, 20_000).Select(_ => (float)(random.NextDouble() * 175 - 87)).ToArray();
        var actual = ExpAt(width, x);
        for (var i = 0; i < x.Length; i++)
        {
            var expected = Math.Exp(x[i]);
            Assert.True(Math.Abs(actual[i] - expected) <= 2.5e-7 * expected, $"exp({x[i]}) = {actual[i]}, expected {expected}");
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Exp_SpecialValues_AreExact(int width)
    {
        var actual = ExpAt(width, [0f, -0f, float.NegativeInfinity, -1000f, 1000f, float.NaN, 88.7f, -87.5f]);
        Assert.Equal(1f, actual[0]);
        Assert.Equal(1f, actual[1]);
        Assert.Equal(0f, actual[2]);
        Assert.Equal(0f, actual[3]);
        Assert.True(float.IsFinite(actual[4]));
        Assert.True(float.IsNaN(actual[5]), $"exp(NaN) = {actual[5]}");
        Assert.True(Math.Abs(actual[6] - Math.Exp(88.7f)) <= 2.5e-7 * Math.Exp(88.7f), $"exp(88.7) = {actual[6]}");
        // Below exp's lower limit the result is flushed to 0 (documented on SimdMath.Exp's limits).
        Assert.Equal(0f, actual[7]);
    }

    [Fact]
    public void Exp_OfASpanWithATail_EqualsTheKernelPathsVectorExp()
    {
        var x = Enumerable.Range(0, 37).Select(i => i * 0.7f - 12f).ToArray();
        var destination = new float[x.Length];
        SimdMath.Exp(x, destination);
        Assert.Equal(ExpAt(KernelPath.Current.VectorBits, x), destination);
    }

    private static float[] ExpAt(int width, float[] x)
    {
        var check = new ExpCheck(x);
        VectorWidths.Run(width, check);
        return check.Result;
    }

    private sealed unsafe class ExpCheck(float[] x) : IWidthCheck
    {
        public float[] Result { get; } = new float[x.Length];

        public void Run<TWidth, TVector, TInt>()
            where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
            where TVector : struct
            where TInt : struct
        {
            fixed (float* source = x)
            fixed (float* destination = Result)
            {
                SimdMath.ExpSpan<TWidth, TVector>(source, destination, x.Length);
            }
        }
    }
}
