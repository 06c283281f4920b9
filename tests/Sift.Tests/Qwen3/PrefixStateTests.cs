using Sift.Checkpoints;
using Sift.Qwen3;

namespace Sift.Tests.Qwen3;

public sealed class PrefixStateTests
{
    [Fact]
    public void Forward_WithComputedPrefix_EqualsForwardOfWholeSequencesBitwise()
    {
        using var model = Qwen3Model.Load(Qwen3Config.Load(Fixtures.RerankerModel), SafetensorsCheckpoint.Open(Fixtures.RerankerModel));
        var random = new Random(17);
        var prefix = Enumerable.Range(0, 90).Select(_ => random.Next(1000)).ToArray();
        // Lengths chosen to cross key tiles (64) and the 2048-token chunk inside one batch.
        var rests = new[] { 1, 37, 64, 2100 }.Select(n => Enumerable.Range(0, n).Select(_ => random.Next(1000)).ToArray()).ToArray();
        var h = model.Config.HiddenSize;

        var state = model.ComputePrefix(prefix);
        var shared = new float[rests.Length * h];
        model.Forward(PackedBatch.Create(rests), state, shared);
        var whole = new float[rests.Length * h];
        model.Forward(PackedBatch.Create(rests.Select(r => (IReadOnlyList<int>)prefix.Concat(r).ToArray()).ToArray()), whole);

        Assert.Equal(whole, shared);
        Assert.Equal(90, state.Length);
    }

    [Fact]
    public void Forward_PrefixPlusSequenceOverTheLimit_NamesTheLength()
    {
        using var model = Qwen3Model.Load(Qwen3Config.Load(Fixtures.RerankerModel) with { MaxPositionEmbeddings = 100 }, SafetensorsCheckpoint.Open(Fixtures.RerankerModel));
        var state = model.ComputePrefix(Enumerable.Range(1, 60).ToArray());
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            model.Forward(PackedBatch.Create([Enumerable.Range(1, 50).ToArray()]), state, new float[model.Config.HiddenSize]));
        Assert.Contains("110 tokens", error.Message);
        Assert.Contains("100", error.Message);
    }
}
