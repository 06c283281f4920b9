using System.Runtime.Intrinsics;
using Sift.Kernels;

namespace Sift.Tests.Kernels;

public sealed class Transpose4x4Tests
{
    [Fact]
    public void Apply_ReturnsTheColumnsAsRows_BitForBit()
    {
        // Sixteen distinct bit patterns, among them values a computation would change: −0, a NaN with
        // a payload, a subnormal, infinity. Row i, lane j holds pattern 4i + j.
        uint[] patterns =
        [
            0x3F800000, 0x80000000, 0x7FC12345, 0x00000001,
            0x7F800000, 0xFF800000, 0x40490FDB, 0xC2F6E979,
            0x00800000, 0x7F7FFFFF, 0x3EAAAAAB, 0xBF000000,
            0x7FA00001, 0x12345678, 0x87654321, 0x41200000,
        ];
        var rows = new Vector128<float>[4];
        for (var i = 0; i < 4; i++)
        {
            rows[i] = Vector128.Create(patterns[4 * i], patterns[4 * i + 1], patterns[4 * i + 2], patterns[4 * i + 3]).AsSingle();
        }

        Transpose4x4.Apply(ref rows[0], ref rows[1], ref rows[2], ref rows[3]);

        for (var i = 0; i < 4; i++)
        {
            for (var j = 0; j < 4; j++)
            {
                Assert.Equal(patterns[4 * j + i], rows[i].AsUInt32().GetElement(j));
            }
        }
    }
}
