using System.Runtime.InteropServices;
using Sift.Kernels;

namespace Sift.Tests.Kernels;

public sealed class NumberFormatsTests
{
    [Fact]
    public void ToSingle_EveryHalfValue_EqualsTheRuntimeConversion()
    {
        var halves = Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray();
        var widened = new float[halves.Length];
        NumberFormats.ToSingle(WeightFormat.F16, MemoryMarshal.AsBytes(halves.AsSpan()), widened);
        for (var i = 0; i < halves.Length; i++)
        {
            var expected = (float)BitConverter.UInt16BitsToHalf(halves[i]);
            Assert.True(expected.Equals(widened[i]), $"0x{i:X4}: {widened[i]} vs {expected}");
        }
    }

    [Theory]
    [InlineData(1.0f, 0x3F80)]
    [InlineData(1.00390625f, 0x3F80)]
    [InlineData(1.01171875f, 0x3F82)]
    [InlineData(-2.5f, 0xC020)]
    public void ToBFloat16_RoundsToNearestEven(float value, int expected)
    {
        Assert.Equal((ushort)expected, NumberFormats.ToBFloat16(value));
    }

    [Fact]
    public void BFloat16ToSingle_WidensByShifting()
    {
        // Long enough for a whole vector on every path, plus a tail.
        ushort[] source = [0x3F80, 0xC020, 0x0000, 0x7F80, 0x3F81, 0x4049, 0x3F80, 0xC020, 0x0000, 0x7F80, 0x3F81, 0x4049, 0x3F80, 0xC020, 0x0000, 0x7F80, 0x1234];
        var destination = new float[source.Length];
        NumberFormats.BFloat16ToSingle(source, destination);
        Assert.Equal(source.Select(s => BitConverter.UInt32BitsToSingle((uint)s << 16)).ToArray(), destination);
    }
}
