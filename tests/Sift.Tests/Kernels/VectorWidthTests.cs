using Sift.Kernels.Vectors;

namespace Sift.Tests.Kernels;

/// <summary>Each register width's primitives against plain integer and float arithmetic.</summary>
public sealed unsafe class VectorWidthTests
{
    public static TheoryData<int> Widths() => VectorWidths.Supported();

    [Theory]
    [MemberData(nameof(Widths))]
    public void DotBytes_SumsFourProductsPerLaneExactly_EvenAtTheExtremes(int width) => VectorWidths.Run(width, new DotBytesCheck());

    [Theory]
    [MemberData(nameof(Widths))]
    public void DotPairs_SumsTwoProductsPerLaneExactly(int width) => VectorWidths.Run(width, new DotPairsCheck());

    [Theory]
    [MemberData(nameof(Widths))]
    public void RoundedStores_RoundToNearestEvenAndNarrow(int width) => VectorWidths.Run(width, new RoundingCheck());

    [Theory]
    [MemberData(nameof(Widths))]
    public void RoundedStores_RoundEveryHalfStepOfTheirRanges(int width) => VectorWidths.Run(width, new RoundingRangeCheck());

    [Theory]
    [MemberData(nameof(Widths))]
    public void MaxMagnitude_IsTheLargestAbsoluteValue_AndNaNWhenAnyIsNaN(int width) => VectorWidths.Run(width, new MaxMagnitudeCheck());

    [Theory]
    [MemberData(nameof(Widths))]
    public void LoadBFloat16_WidensByShifting(int width) => VectorWidths.Run(width, new BFloat16Check());

    private sealed class DotBytesCheck : IWidthCheck
    {
        public void Run<TWidth, TVector, TInt>()
            where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
            where TVector : struct
            where TInt : struct
        {
            var lanes = TWidth.Count;
            var random = new Random(lanes);
            for (var trial = 0; trial < 200; trial++)
            {
                // The first trials sit at the extremes: 127 × ±127 in every product, where an int16
                // pair sum would saturate if the activations were allowed 8 bits.
                var activations = new byte[4];
                var weights = new sbyte[4 * lanes];
                for (var i = 0; i < 4; i++)
                {
                    activations[i] = trial < 2 ? (byte)127 : (byte)random.Next(0, 128);
                }
                for (var i = 0; i < weights.Length; i++)
                {
                    weights[i] = trial == 0 ? (sbyte)127 : trial == 1 ? (sbyte)-127 : (sbyte)random.Next(-127, 128);
                }
                var start = new int[lanes];
                for (var i = 0; i < lanes; i++)
                {
                    start[i] = random.Next(-1_000_000, 1_000_000);
                }
                var result = new int[lanes];
                fixed (sbyte* w = weights)
                fixed (int* s = start)
                fixed (int* r = result)
                {
                    var accumulator = TWidth.DotBytes(TWidth.LoadInt32(s), TWidth.CreateInt32(BitConverter.ToInt32(activations)), TWidth.LoadBytes((byte*)w));
                    System.Runtime.CompilerServices.Unsafe.Write(r, accumulator);
                }
                for (var lane = 0; lane < lanes; lane++)
                {
                    var expected = start[lane];
                    for (var i = 0; i < 4; i++)
                    {
                        expected += activations[i] * weights[4 * lane + i];
                    }
                    Assert.Equal(expected, result[lane]);
                }
            }
        }
    }

    private sealed class DotPairsCheck : IWidthCheck
    {
        public void Run<TWidth, TVector, TInt>()
            where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
            where TVector : struct
            where TInt : struct
        {
            var lanes = TWidth.Count;
            var random = new Random(lanes + 1);
            for (var trial = 0; trial < 200; trial++)
            {
                var a0 = trial == 0 ? (short)-32767 : (short)random.Next(-32767, 32768);
                var a1 = trial == 0 ? (short)-32767 : (short)random.Next(-32767, 32768);
                var weights = new sbyte[2 * lanes];
                for (var i = 0; i < weights.Length; i++)
                {
                    weights[i] = trial == 0 ? (sbyte)-127 : (sbyte)random.Next(-127, 128);
                }
                var result = new int[lanes];
                fixed (sbyte* w = weights)
                fixed (int* r = result)
                {
                    var pair = (ushort)a0 | ((int)(ushort)a1 << 16);
                    System.Runtime.CompilerServices.Unsafe.Write(r, TWidth.DotPairs(TWidth.CreateInt32(0), TWidth.CreateInt32(pair), TWidth.LoadPairs(w)));
                }
                for (var lane = 0; lane < lanes; lane++)
                {
                    Assert.Equal(a0 * weights[2 * lane] + a1 * weights[2 * lane + 1], result[lane]);
                }
            }
        }
    }

    private sealed class RoundingCheck : IWidthCheck
    {
        public void Run<TWidth, TVector, TInt>()
            where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
            where TVector : struct
            where TInt : struct
        {
            var lanes = TWidth.Count;
            var values = Enumerable.Range(0, 2 * lanes).Select(i => (i - lanes) * 3.5f + (i % 3 == 0 ? 0.5f : 0.25f)).ToArray();
            var shorts = new short[2 * lanes];
            var bytes = new byte[lanes];
            fixed (float* v = values)
            fixed (short* s = shorts)
            fixed (byte* b = bytes)
            {
                TWidth.StoreRoundedInt16(TWidth.Load(v), TWidth.Load(v + lanes), s);
                TWidth.StoreRoundedBytes(TWidth.Multiply(TWidth.Load(v), TWidth.Create(0.5f)), 64, b);
            }
            Assert.Equal(values.Select(x => (short)Math.Round(x, MidpointRounding.ToEven)).ToArray(), shorts);
            Assert.Equal(values.Take(lanes).Select(x => (byte)(Math.Round(x * 0.5f, MidpointRounding.ToEven) + 64)).ToArray(), bytes);
        }
    }

    private sealed class MaxMagnitudeCheck : IWidthCheck
    {
        public void Run<TWidth, TVector, TInt>()
            where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
            where TVector : struct
            where TInt : struct
        {
            var random = new Random(TWidth.Count);
            foreach (var count in new[] { TWidth.Count, 32, 64 })
            {
                for (var place = 0; place < count; place++)
                {
                    var values = Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
                    values[place] = -1.5f;
                    Assert.Equal(1.5f, MaxMagnitude<TWidth, TVector>(values));
                    values[place] = float.NegativeInfinity;
                    Assert.Equal(float.PositiveInfinity, MaxMagnitude<TWidth, TVector>(values));
                    // A NaN anywhere makes the block's maximum NaN (a float max could drop it), even beside an infinity.
                    values[place] = float.NaN;
                    values[(place + 1) % count] = float.PositiveInfinity;
                    Assert.True(float.IsNaN(MaxMagnitude<TWidth, TVector>(values)), $"NaN at {place} of {count} was lost");
                }
                var zeros = Enumerable.Range(0, count).Select(i => i % 2 == 0 ? -0f : 0f).ToArray();
                Assert.Equal(0, BitConverter.SingleToInt32Bits(MaxMagnitude<TWidth, TVector>(zeros)));
            }
        }

        private static float MaxMagnitude<TWidth, TVector>(float[] values)
            where TWidth : struct, IVectorWidth<TVector>
            where TVector : struct
        {
            fixed (float* v = values)
            {
                return TWidth.MaxMagnitude(v, values.Length);
            }
        }
    }

    private sealed class RoundingRangeCheck : IWidthCheck
    {
        public void Run<TWidth, TVector, TInt>()
            where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
            where TVector : struct
            where TInt : struct
        {
            // Every half step over the stores' whole ranges (the quantizer's ±63 and ±32767): ties, both signs.
            var lanes = TWidth.Count;
            var shorts = new short[2 * lanes];
            var bytes = new byte[lanes];
            for (var first = -32767.5f; first < 32767; first += lanes)
            {
                var values = Enumerable.Range(0, 2 * lanes).Select(i => Math.Clamp(first + i * 0.5f, -32767.4f, 32767.4f)).ToArray();
                fixed (float* v = values)
                fixed (short* s = shorts)
                {
                    TWidth.StoreRoundedInt16(TWidth.Load(v), TWidth.Load(v + lanes), s);
                }
                Assert.Equal(values.Select(x => (short)Math.Round(x, MidpointRounding.ToEven)).ToArray(), shorts);
            }
            for (var first = -63.5f; first < 63.5f; first += 0.25f * lanes)
            {
                var values = Enumerable.Range(0, lanes).Select(i => Math.Clamp(first + i * 0.25f, -63.5f, 63.5f)).ToArray();
                fixed (float* v = values)
                fixed (byte* b = bytes)
                {
                    TWidth.StoreRoundedBytes(TWidth.Load(v), 64, b);
                }
                Assert.Equal(values.Select(x => (byte)(Math.Round(x, MidpointRounding.ToEven) + 64)).ToArray(), bytes);
            }
        }
    }

    private sealed class BFloat16Check : IWidthCheck
    {
        public void Run<TWidth, TVector, TInt>()
            where TWidth : struct, IVectorWidth<TVector>, IInt8Width<TInt, TVector>
            where TVector : struct
            where TInt : struct
        {
            var lanes = TWidth.Count;
            var bits = Enumerable.Range(0, lanes).Select(i => (ushort)(0x3F80 + 37 * i)).ToArray();
            var widened = new float[lanes];
            fixed (ushort* source = bits)
            fixed (float* destination = widened)
            {
                TWidth.Store(TWidth.LoadBFloat16(source), destination);
            }
            Assert.Equal(bits.Select(b => BitConverter.UInt32BitsToSingle((uint)b << 16)).ToArray(), widened);
        }
    }
}
