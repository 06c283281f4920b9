using Sift.Qwen3;

namespace Sift.Tests.Qwen3;

public sealed class RotaryTableTests
{
    [Fact]
    public void Rows_AreTheRopeAnglesOfTheirPosition_HoweverTheTableGrew()
    {
        const int headDim = 16;
        const double theta = 1_000_000;
        var grown = new RotaryTable(headDim, theta, maxPositions: 100);
        foreach (var positions in new[] { 1, 3, 4, 10, 7, 61 })
        {
            grown.Ensure(positions);
        }
        var atOnce = new RotaryTable(headDim, theta, maxPositions: 100);
        atOnce.Ensure(61);

        Assert.InRange(grown.Count, 61, 100);
        for (var position = 0; position < 61; position++)
        {
            Assert.Equal(atOnce.Cos(position).ToArray(), grown.Cos(position).ToArray());
            Assert.Equal(atOnce.Sin(position).ToArray(), grown.Sin(position).ToArray());
            for (var i = 0; i < headDim / 2; i++)
            {
                var angle = ReferenceAngle(position, i, headDim, theta);
                Assert.Equal((float)Math.Cos(angle), grown.Cos(position)[i]);
                Assert.Equal((float)Math.Sin(angle), grown.Sin(position)[i]);
            }
        }
    }

    [Fact]
    public void FarPositions_FollowTheReferencesFloat32Angles()
    {
        // At 8K-32K the float32 angle differs from the exact one by up to ~2e-3 rad; the table must
        // hold the reference's (the angles the model was trained with), not the exact ones.
        const int headDim = 128;
        const double theta = 1_000_000;
        var table = new RotaryTable(headDim, theta, maxPositions: 32768);
        table.Ensure(32768);
        var largest = 0.0;
        foreach (var position in new[] { 8191, 12345, 20000, 32767 })
        {
            for (var i = 0; i < headDim / 2; i++)
            {
                var angle = ReferenceAngle(position, i, headDim, theta);
                Assert.Equal((float)Math.Cos(angle), table.Cos(position)[i]);
                Assert.Equal((float)Math.Sin(angle), table.Sin(position)[i]);
                largest = Math.Max(largest, Math.Abs(Math.Cos(position / Math.Pow(theta, 2.0 * i / headDim)) - table.Cos(position)[i]));
            }
        }
        Assert.True(largest > 1e-4, $"float32 and exact angles differ by only {largest}");
    }

    /// <summary>
    /// The Qwen3 reference (transformers' Qwen3RotaryEmbedding): inv_freq = 1 / θ^(arange(0, d, 2) / d)
    /// in float32, times the position as float32, rounded to float32.
    /// </summary>
    private static float ReferenceAngle(int position, int i, int headDim, double theta)
    {
        var exponent = (float)(2 * i) / headDim;
        var inverse = 1f / MathF.Pow((float)theta, exponent);
        return position * inverse;
    }

    [Fact]
    public void Growth_StopsAtTheModelsMaximumPosition()
    {
        var table = new RotaryTable(8, 10_000, maxPositions: 40);
        table.Ensure(30);
        table.Ensure(31);
        Assert.Equal(40, table.Count);
    }
}
