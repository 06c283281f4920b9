using Sift.Checkpoints;
using Sift.Qwen3;

namespace Sift.Tests.Qwen3;

public sealed class SharedPrefixTests
{
    private static readonly Lazy<Qwen3Model> Model = new(() => Qwen3Model.Load(Qwen3Config.Load(Fixtures.RerankerModel), SafetensorsCheckpoint.Open(Fixtures.RerankerModel)));

    [Theory]
    [InlineData(90)]
    [InlineData(64)]
    [InlineData(1)]
    [InlineData(130)]
    public void Forward_SequencesContinuingAPrefix_EqualForwardOfWholeSequencesBitwise(int prefixLength)
    {
        var model = Model.Value;
        var random = new Random(17 + prefixLength);
        var prefix = Enumerable.Range(0, prefixLength).Select(_ => random.Next(1000)).ToArray();
        // Lengths chosen to cross key tiles (64) and the token chunks (Qwen3Model.ChunkTokens) inside one batch.
        var rests = new[] { 1, 37, 64, 2100 }.Select(n => Enumerable.Range(0, n).Select(_ => random.Next(1000)).ToArray()).ToArray();
        var h = model.Config.HiddenSize;

        var shared = new float[(rests.Length + 1) * h];
        model.Forward(PackedBatch.Create([prefix, .. rests], [-1, 0, 0, 0, 0]), shared);
        var whole = new float[rests.Length * h];
        model.Forward(PackedBatch.Create(rests.Select(r => (IReadOnlyList<int>)prefix.Concat(r).ToArray()).ToArray()), whole);

        Assert.Equal(whole, shared.AsSpan(h).ToArray());
    }

    [Fact]
    public void Forward_TwoPrefixesInOneBatch_EachSequenceEqualsItsWholeSequenceBitwise()
    {
        var model = Model.Value;
        var random = new Random(23);
        int[] Tokens(int n) => Enumerable.Range(0, n).Select(_ => random.Next(1000)).ToArray();
        var (first, second) = (Tokens(70), Tokens(129));
        var (a, b, c) = (Tokens(5), Tokens(80), Tokens(3));
        var h = model.Config.HiddenSize;

        // Sequences of two requests interleaved, as a server batches concurrent rerank requests.
        var shared = new float[5 * h];
        model.Forward(PackedBatch.Create([first, second, a, b, c], [-1, -1, 0, 1, 0]), shared);
        var whole = new float[3 * h];
        model.Forward(PackedBatch.Create([first.Concat(a).ToArray(), second.Concat(b).ToArray(), first.Concat(c).ToArray()]), whole);

        Assert.Equal(whole, shared.AsSpan(2 * h).ToArray());
    }

    [Fact]
    public void Create_ALinkToALaterOrChainedSequence_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => PackedBatch.Create([[1], [2]], [1, -1]));
        Assert.Throws<ArgumentException>(() => PackedBatch.Create([[1], [2], [3]], [-1, 0, 1]));
        Assert.Throws<ArgumentException>(() => PackedBatch.Create([[1], [2]], [-1]));
    }

    [Fact]
    public void Forward_PrefixPlusSequenceOverTheLimit_NamesTheLength()
    {
        using var model = Qwen3Model.Load(Qwen3Config.Load(Fixtures.RerankerModel) with { MaxPositionEmbeddings = 100 }, SafetensorsCheckpoint.Open(Fixtures.RerankerModel));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            model.Forward(PackedBatch.Create([Enumerable.Range(1, 60).ToArray(), Enumerable.Range(1, 50).ToArray()], [-1, 0]), new float[2 * model.Config.HiddenSize]));
        Assert.Contains("110 tokens", error.Message);
        Assert.Contains("100", error.Message);
    }

    [Fact]
    public void Forward_ManySequencesOnALongPrefix_HoldsThePrefixOnce()
    {
        // Scaled-down form of the 0.6B case (docs/benchmarks.md measures the full shape): 512 short
        // sequences after a 1,500-token prefix hold O(prefix + tokens) activations, not O(sequences × prefix).
        using var model = Qwen3Model.Load(Qwen3Config.Load(Fixtures.RerankerModel), SafetensorsCheckpoint.Open(Fixtures.RerankerModel));
        var random = new Random(29);
        var prefix = Enumerable.Range(0, 1500).Select(_ => random.Next(1000)).ToArray();
        var documents = Enumerable.Range(0, 512).Select(_ => Enumerable.Range(0, 10).Select(_ => random.Next(1000)).ToArray()).ToArray();
        var pooled = new float[513 * model.Config.HiddenSize];
        model.Forward(PackedBatch.Create([prefix, .. documents], [-1, .. Enumerable.Repeat(0, 512)]), pooled);

        var tokens = 1500 + 512 * 10;
        Assert.Equal(WorkspaceSize.For(model.Config, tokens, Qwen3Model.ChunkTokens, tokens, 513).Bytes, model.WorkspaceBytes);
        var keyValueRowBytes = 2L * model.Config.KeyValueHeadCount * model.Config.HeadDim * sizeof(float);
        Assert.True(model.WorkspaceBytes < 512L * 1500 * keyValueRowBytes / 10,
            $"{model.WorkspaceBytes} bytes of activations; one prefix copy per sequence would be {512L * 1500 * keyValueRowBytes}");
    }
}
