using Sift.Engine;
using Sift.Kernels;
using Sift.Qwen3;

namespace Sift.Tests.Engine;

/// <summary>The memory budget's model: what it predicts from the headers is what loading and forward passes then take.</summary>
public sealed class ModelFootprintTests
{
    [Theory]
    [InlineData(null)]
    [InlineData(WeightFormat.Int8)]
    public void Estimate_PredictsThePackedWeightsExactly(WeightFormat? quantize)
    {
        var footprint = ModelFootprint.Estimate(new ModelOptions { Model = Fixtures.RerankerModel, Quantize = quantize }, ModelKind.Reranker);
        using var reranker = Reranker.Load(new ModelOptions { Model = Fixtures.RerankerModel, Quantize = quantize });

        Assert.Equal(reranker.Model.PackedWeightBytes, footprint.Weights.PackedLayerBytes);
        Assert.Equal(reranker.Model.EmbeddingBytes, footprint.Weights.EmbeddingBytes);
        Assert.Equal(quantize ?? WeightFormat.BF16, footprint.Weights.Format);
        Assert.Equal(Reranker.DefaultMaxLength, footprint.MaxLength);
    }

    [Fact]
    public void Workspace_AfterPassesWithinTheTokenLimit_IsAtMostWhatThePlanCounts()
    {
        const int maxTokens = 300;
        using var reranker = Reranker.Load(new ModelOptions { Model = Fixtures.RerankerModel, MaxBatchTokens = maxTokens, MaxLength = maxTokens });
        var random = new Random(3);
        string Words(int count) => string.Join(' ', Enumerable.Range(0, count).Select(_ => random.Next(1000).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        // Many short documents (the most sequences per pass), a long query shared by them (the most prefix copies), and single long prompts.
        reranker.Score(Words(60), Enumerable.Range(0, 40).Select(_ => Words(2)).ToArray());
        reranker.Score(Words(5), [Words(400), Words(10)]);
        reranker.Score(Words(250), Enumerable.Range(0, 12).Select(_ => Words(30)).ToArray());

        var planned = WorkspaceSize.Largest(reranker.Model.Config, maxTokens).Bytes;
        Assert.InRange(reranker.Model.WorkspaceBytes, 1, planned);
    }
}
