using System.Buffers.Binary;

namespace Sift.Kernels;

/// <summary>
/// Rows of ggml's block formats back to fp32, following ggml's reference dequantizers: Q8_0
/// (32 values: fp16 scale, 32 int8) and the k-quants Q4_K, Q5_K, Q6_K (256-value super-blocks with
/// 6- or 8-bit sub-block scales) that the official 4B/8B GGUFs use.
/// </summary>
public static class Dequantization
{
    private const int SuperBlock = 256;

    /// <summary>Q8_0: value = scale × q.</summary>
    public static void Q8_0(ReadOnlySpan<byte> blocks, Span<float> destination)
    {
        var count = Check(blocks, destination, 32, 34);
        for (var b = 0; b < count; b++)
        {
            var block = blocks.Slice(b * 34, 34);
            var scale = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
            var target = destination.Slice(b * 32, 32);
            for (var i = 0; i < 32; i++)
            {
                target[i] = scale * (sbyte)block[2 + i];
            }
        }
    }

    /// <summary>Q4_K: 8 sub-blocks of 32 with 6-bit scales and mins; value = d·sc·q − dmin·m.</summary>
    public static void Q4_K(ReadOnlySpan<byte> blocks, Span<float> destination)
    {
        var count = Check(blocks, destination, SuperBlock, 144);
        for (var b = 0; b < count; b++)
        {
            var block = blocks.Slice(b * 144, 144);
            var d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
            var min = (float)BinaryPrimitives.ReadHalfLittleEndian(block[2..]);
            var scales = block.Slice(4, 12);
            var q = block[16..];
            var y = destination.Slice(b * SuperBlock, SuperBlock);
            for (int j = 0, subBlock = 0; j < SuperBlock; j += 64, subBlock += 2, q = q[32..])
            {
                var (sc1, m1) = ScaleMin(subBlock, scales);
                var (sc2, m2) = ScaleMin(subBlock + 1, scales);
                float d1 = d * sc1, mm1 = min * m1, d2 = d * sc2, mm2 = min * m2;
                for (var l = 0; l < 32; l++)
                {
                    y[j + l] = d1 * (q[l] & 0xF) - mm1;
                    y[j + 32 + l] = d2 * (q[l] >> 4) - mm2;
                }
            }
        }
    }

    /// <summary>Q5_K: as Q4_K with a fifth bit per value from qh.</summary>
    public static void Q5_K(ReadOnlySpan<byte> blocks, Span<float> destination)
    {
        var count = Check(blocks, destination, SuperBlock, 176);
        for (var b = 0; b < count; b++)
        {
            var block = blocks.Slice(b * 176, 176);
            var d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
            var min = (float)BinaryPrimitives.ReadHalfLittleEndian(block[2..]);
            var scales = block.Slice(4, 12);
            var qh = block.Slice(16, 32);
            var ql = block[48..];
            var y = destination.Slice(b * SuperBlock, SuperBlock);
            int u1 = 1, u2 = 2;
            for (int j = 0, subBlock = 0; j < SuperBlock; j += 64, subBlock += 2, ql = ql[32..], u1 <<= 2, u2 <<= 2)
            {
                var (sc1, m1) = ScaleMin(subBlock, scales);
                var (sc2, m2) = ScaleMin(subBlock + 1, scales);
                float d1 = d * sc1, mm1 = min * m1, d2 = d * sc2, mm2 = min * m2;
                for (var l = 0; l < 32; l++)
                {
                    y[j + l] = d1 * ((ql[l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0)) - mm1;
                    y[j + 32 + l] = d2 * ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - mm2;
                }
            }
        }
    }

    /// <summary>Q6_K: 16 sub-blocks of 16 with int8 scales; 6-bit values centred on 32.</summary>
    public static void Q6_K(ReadOnlySpan<byte> blocks, Span<float> destination)
    {
        var count = Check(blocks, destination, SuperBlock, 210);
        for (var b = 0; b < count; b++)
        {
            var block = blocks.Slice(b * 210, 210);
            var ql = block[..128];
            var qh = block.Slice(128, 64);
            var scales = block.Slice(192, 16);
            var d = (float)BinaryPrimitives.ReadHalfLittleEndian(block[208..]);
            var y = destination.Slice(b * SuperBlock, SuperBlock);
            for (int n = 0, half = 0; n < SuperBlock; n += 128, half++)
            {
                var l0 = ql[(half * 64)..];
                var h0 = qh[(half * 32)..];
                var sc = scales[(half * 8)..];
                for (var l = 0; l < 32; l++)
                {
                    var s = l / 16;
                    var q1 = ((l0[l] & 0xF) | ((h0[l] >> 0 & 3) << 4)) - 32;
                    var q2 = ((l0[l + 32] & 0xF) | ((h0[l] >> 2 & 3) << 4)) - 32;
                    var q3 = ((l0[l] >> 4) | ((h0[l] >> 4 & 3) << 4)) - 32;
                    var q4 = ((l0[l + 32] >> 4) | ((h0[l] >> 6 & 3) << 4)) - 32;
                    y[n + l] = d * (sbyte)sc[s] * q1;
                    y[n + l + 32] = d * (sbyte)sc[s + 2] * q2;
                    y[n + l + 64] = d * (sbyte)sc[s + 4] * q3;
                    y[n + l + 96] = d * (sbyte)sc[s + 6] * q4;
                }
            }
        }
    }

    /// <summary>The 6-bit scale and min of sub-block <paramref name="j"/> (ggml's get_scale_min_k4).</summary>
    private static (int Scale, int Min) ScaleMin(int j, ReadOnlySpan<byte> q) => j < 4
        ? (q[j] & 63, q[j + 4] & 63)
        : ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4));

    private static int Check(ReadOnlySpan<byte> blocks, Span<float> destination, int blockValues, int blockBytes)
    {
        if (blocks.Length % blockBytes != 0 || destination.Length < blocks.Length / blockBytes * blockValues)
        {
            throw new ArgumentException($"{blocks.Length} bytes are not whole {blockBytes}-byte blocks, or {destination.Length} floats cannot hold them");
        }
        return blocks.Length / blockBytes;
    }
}
