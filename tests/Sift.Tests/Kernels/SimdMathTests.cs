using System.Runtime.Intrinsics;
using Sift.Kernels;

namespace Sift.Tests.Kernels;

public sealed class SimdMathTests
{
    [Fact]
    public void Exp_AcrossTheRange_IsWithinTwoUlpOfDoublePrecision()
    {
        var random = new Random(21);
        for (var trial = 0; trial < 20_000; trial++)
        {
            var x = (float)(random.NextDouble() * 175 - 87);
            var actual = SimdMath.Exp(Vector512.Create(x)).GetElement(0);
            var expected = Math.Exp(x);
            Assert.True(Math.Abs(actual - expected) <= 2.5e-7 * expected, $"exp({x}) = {actual}, expected {expected}");
        }
    }

    [Fact]
    public void Exp_SpecialValues_AreExact()
    {
        Assert.Equal(1f, SimdMath.Exp(Vector512.Create(0f)).GetElement(0));
        Assert.Equal(1f, SimdMath.Exp(Vector512.Create(-0f)).GetElement(0));
        Assert.Equal(0f, SimdMath.Exp(Vector512.Create(float.NegativeInfinity)).GetElement(0));
        Assert.Equal(0f, SimdMath.Exp(Vector512.Create(-1000f)).GetElement(0));
        Assert.True(float.IsFinite(SimdMath.Exp(Vector512.Create(1000f)).GetElement(0)));
    }
}
