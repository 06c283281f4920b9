using Sift.Kernels;

namespace Sift.Tests.Kernels;

public sealed class AttentionTests
{
    private static readonly WorkerPool Pool = new(2);

    [Fact]
    public void Run_PackedSequences_MatchesNaiveCausalAttentionPerSequence()
    {
        var layout = new AttentionLayout(HeadCount: 4, KeyValueHeadCount: 2, HeadDim: 8);
        int[] starts = [0, 5, 6, 150];
        var tokens = starts[^1];
        var random = new Random(9);
        var qkv = Enumerable.Range(0, tokens * layout.QkvWidth).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var output = new float[tokens * layout.QueryWidth];
        Attention.Run(layout, qkv, layout.QkvWidth, starts, lastTokenOnly: false, output, layout.QueryWidth, Pool);

        for (var s = 0; s < starts.Length - 1; s++)
        {
            for (var t = starts[s]; t < starts[s + 1]; t++)
            {
                for (var h = 0; h < layout.HeadCount; h++)
                {
                    var expected = Naive(layout, qkv, starts[s], t, h);
                    for (var i = 0; i < layout.HeadDim; i++)
                    {
                        var actual = output[t * layout.QueryWidth + h * layout.HeadDim + i];
                        Assert.True(Math.Abs(expected[i] - actual) < 1e-5, $"token {t} head {h} [{i}]: {actual} vs {expected[i]}");
                    }
                }
            }
        }

        var last = new float[(starts.Length - 1) * layout.QueryWidth];
        Attention.Run(layout, qkv, layout.QkvWidth, starts, lastTokenOnly: true, last, layout.QueryWidth, Pool);
        for (var s = 0; s < starts.Length - 1; s++)
        {
            Assert.Equal(output.AsSpan((starts[s + 1] - 1) * layout.QueryWidth, layout.QueryWidth).ToArray(),
                last.AsSpan(s * layout.QueryWidth, layout.QueryWidth).ToArray());
        }
    }

    private static double[] Naive(AttentionLayout layout, float[] qkv, int start, int token, int head)
    {
        var d = layout.HeadDim;
        var kvHead = head / layout.GroupSize;
        var query = qkv.AsSpan(token * layout.QkvWidth + head * d, d).ToArray();
        var scores = new List<double>();
        for (var j = start; j <= token; j++)
        {
            var key = qkv.AsSpan(j * layout.QkvWidth + layout.QueryWidth + kvHead * d, d).ToArray();
            scores.Add(Enumerable.Range(0, d).Sum(i => (double)query[i] * key[i]) / Math.Sqrt(d));
        }
        var max = scores.Max();
        var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
        var result = new double[d];
        for (var j = start; j <= token; j++)
        {
            var value = qkv.AsSpan(j * layout.QkvWidth + layout.QueryWidth + layout.KeyValueWidth + kvHead * d, d);
            for (var i = 0; i < d; i++)
            {
                result[i] += weights[j - start] / weights.Sum() * value[i];
            }
        }
        return result;
    }
}
