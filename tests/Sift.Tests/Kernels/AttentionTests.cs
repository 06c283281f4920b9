using Sift.Kernels;

namespace Sift.Tests.Kernels;

public sealed class AttentionTests
{
    private static readonly WorkerPool Pool = new(2);

    public static TheoryData<int, int, int> Layouts() => new()
    {
        { 4, 2, 8 },
        { 16, 8, 128 },
        { 6, 2, 24 },
        { 4, 1, 32 },
        { 3, 1, 10 },
        // Groups wider than a block on some paths (8 columns on 128-bit, 16 on AVX2, 32 on AVX-512): sub-groups.
        { 24, 1, 8 },
        { 40, 2, 12 },
        { 66, 1, 8 },
        { 68, 2, 8 },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Run_PackedSequences_MatchesNaiveCausalAttentionPerSequence(int heads, int kvHeads, int headDim)
    {
        var layout = new AttentionLayout(heads, kvHeads, headDim);
        int[] starts = [0, 5, 6, 150];
        var (qkv, sequences) = Problem(layout, starts, seed: heads * 100 + headDim);
        var output = new float[starts[^1] * layout.QueryWidth];
        Run(layout, qkv, sequences, output);

        for (var s = 0; s < starts.Length - 1; s++)
        {
            for (var t = starts[s]; t < starts[s + 1]; t++)
            {
                for (var h = 0; h < heads; h++)
                {
                    var expected = Naive(layout, qkv, starts[s], t, h);
                    for (var i = 0; i < headDim; i++)
                    {
                        var actual = output[t * layout.QueryWidth + h * headDim + i];
                        Assert.True(Math.Abs(expected[i] - actual) < 1e-5, $"token {t} head {h} [{i}]: {actual} vs {expected[i]}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Run_QueryAloneOrInAnyBlock_IsBitwiseIdentical()
    {
        var layout = new AttentionLayout(4, 2, 32);
        int[] starts = [0, 200];
        var (qkv, all) = Problem(layout, starts, seed: 3);
        var full = new float[200 * layout.QueryWidth];
        Run(layout, qkv, all, full);
        foreach (var (first, count) in new[] { (199, 1), (130, 1), (64, 7), (3, 40), (0, 1) })
        {
            var partial = new float[200 * layout.QueryWidth];
            Run(layout, qkv, [new AttentionSequence(first, count, first, 0, first)], partial);
            Assert.Equal(full.AsSpan(first * layout.QueryWidth, count * layout.QueryWidth).ToArray(),
                partial.AsSpan(first * layout.QueryWidth, count * layout.QueryWidth).ToArray());
        }
    }

    [Theory]
    [InlineData(2, 1, 64)]
    [InlineData(68, 2, 8)]   // groups of 34: sub-groups on every path, the second key/value head found by its head stride
    public void Run_KeysFromAPrefixInAnotherPlace_EqualsTheWholeSequence(int heads, int kvHeads, int headDim)
    {
        // Queries 70..119 of one sequence, with keys 0..69 copied elsewhere (as a shared prefix is).
        var layout = new AttentionLayout(heads, kvHeads, headDim);
        var (qkv, whole) = Problem(layout, [0, 120], seed: 4);
        var expected = new float[120 * layout.QueryWidth];
        Run(layout, qkv, whole, expected);

        // Head-major keys and values, as the model stores them: head g, position p at (g·positions + p)·d.
        var d = layout.HeadDim;
        var keys = new float[120 * layout.KeyValueWidth];
        var values = new float[120 * layout.KeyValueWidth];
        for (var t = 0; t < 120; t++)
        {
            for (var g = 0; g < layout.KeyValueHeadCount; g++)
            {
                qkv.AsSpan(t * layout.QkvWidth + layout.QueryWidth + g * d, d).CopyTo(keys.AsSpan((g * 120 + t) * d));
                qkv.AsSpan(t * layout.QkvWidth + layout.QueryWidth + layout.KeyValueWidth + g * d, d).CopyTo(values.AsSpan((g * 120 + t) * d));
            }
        }
        var queries = qkv.AsSpan(70 * layout.QkvWidth).ToArray();
        var output = new float[50 * layout.QueryWidth];
        Attention.Run(layout, queries, layout.QkvWidth, keys, values, d, 120 * d,
            [new AttentionSequence(0, 50, 70, 0, 0)], output, layout.QueryWidth, Pool);
        Assert.Equal(expected.AsSpan(70 * layout.QueryWidth).ToArray(), output);
    }

    [Fact]
    public void Run_NoSequences_WritesNothing()
    {
        var output = new float[8];
        Attention.Run(new AttentionLayout(68, 2, 8), [], 68 * 8, [], [], 2 * 8, 8, [], output, 68 * 8, Pool);
        Assert.All(output, value => Assert.Equal(0f, value));
    }

    [Theory]
    [InlineData(66, 4)]
    [InlineData(6, 0)]
    public void Run_HeadsThatAreNotWholeGroups_AreRefused(int heads, int kvHeads)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Attention.Run(new AttentionLayout(heads, kvHeads, 8), new float[heads * 8], heads * 8, new float[64], new float[64], 8, 8,
                [new AttentionSequence(0, 1, 0, 0, 0)], new float[heads * 8], heads * 8, Pool));
        Assert.Contains($"{heads} query heads", error.Message);
    }

    [Fact]
    public void Run_SequencePastTheKeyBuffer_IsRefused()
    {
        var layout = new AttentionLayout(2, 1, 8);
        var (qkv, _) = Problem(layout, [0, 10], seed: 5);
        var error = Assert.Throws<ArgumentException>(() => Run(layout, qkv, [new AttentionSequence(0, 10, 5, 0, 0)], new float[10 * layout.QueryWidth]));
        Assert.Contains("reaches past", error.Message);
    }

    private static void Run(AttentionLayout layout, float[] qkv, AttentionSequence[] sequences, float[] output) =>
        Attention.Run(layout, qkv, layout.QkvWidth, qkv.AsSpan(layout.QueryWidth), qkv.AsSpan(layout.QueryWidth + layout.KeyValueWidth),
            layout.QkvWidth, layout.HeadDim, sequences, output, layout.QueryWidth, Pool);

    private static (float[] Qkv, AttentionSequence[] Sequences) Problem(AttentionLayout layout, int[] starts, int seed)
    {
        var random = new Random(seed);
        var qkv = Enumerable.Range(0, starts[^1] * layout.QkvWidth).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var sequences = Enumerable.Range(0, starts.Length - 1)
            .Select(s => new AttentionSequence(starts[s], starts[s + 1] - starts[s], 0, starts[s], starts[s])).ToArray();
        return (qkv, sequences);
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
