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
                // θ^(−2i/d) as the Qwen3 reference writes it: inv_freq = 1 / θ^(arange(0, d, 2) / d).
                var angle = position / Math.Pow(theta, 2.0 * i / headDim);
                Assert.Equal((float)Math.Cos(angle), grown.Cos(position)[i]);
                Assert.Equal((float)Math.Sin(angle), grown.Sin(position)[i]);
            }
        }
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
