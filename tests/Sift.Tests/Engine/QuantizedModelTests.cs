using Sift.Engine;
using Sift.Kernels;
using Sift.Tests.Qwen3;

namespace Sift.Tests.Engine;

/// <summary>The fixture references against int8 (Q8_0) weights: the quality bar is 3e-2.</summary>
public sealed class QuantizedModelTests
{
    private const float Tolerance = 3e-2f;

    [Fact]
    public void Embed_Int8Weights_StayWithinToleranceOfReference()
    {
        using var embedder = Embedder.Load(new ModelOptions { Model = Fixtures.EmbeddingModel, Quantize = WeightFormat.Int8 });
        Assert.Equal(WeightFormat.Int8, embedder.Model.WeightFormat);
        var worst = 0f;
        foreach (var reference in ReferenceCases.Embedding.Value)
        {
            var input = EmbeddingInput.Document(reference.Text);
            var full = embedder.Embed([input])[0].Vector;
            var dim32 = embedder.Embed([input], new EmbedOptions { Dimensions = 32 })[0].Vector;
            worst = Math.Max(worst, full.Select((v, i) => Math.Abs(v - reference.Embedding[i])).Max());
            worst = Math.Max(worst, dim32.Select((v, i) => Math.Abs(v - reference.EmbeddingDim32[i])).Max());
        }
        TestContext.Current.SendDiagnosticMessage($"int8 embedding max abs error: {worst}");
        Assert.True(worst < Tolerance, $"max error {worst}");
        Assert.True(worst > 0, "int8 weights should not reproduce the bf16 reference exactly");
    }

    [Fact]
    public void Score_Int8Weights_StayWithinToleranceOfReference()
    {
        using var reranker = Reranker.Load(new ModelOptions { Model = Fixtures.RerankerModel, Quantize = WeightFormat.Int8 });
        var worstScore = 0f;
        var worstLogit = 0f;
        foreach (var reference in ReferenceCases.Rerank.Value)
        {
            var score = reranker.Score(reference.Query, [reference.Document],
                new RerankOptions { Instruction = reference.Instruction, MaxLength = reference.MaxLength })[0];
            worstScore = Math.Max(worstScore, Math.Abs(score.Score - reference.Score));
            worstLogit = Math.Max(worstLogit, Math.Max(Math.Abs(score.LogitYes - reference.LogitYes), Math.Abs(score.LogitNo - reference.LogitNo)));
        }
        // The bar is on scores (probabilities); logits are unbounded and only reported.
        TestContext.Current.SendDiagnosticMessage($"int8 rerank max abs error: score {worstScore}, logits {worstLogit}");
        Assert.True(worstScore < Tolerance, $"max score error {worstScore}");
    }

    [Fact]
    public void Embed_Int8Weights_AreBatchInvariantBitwise()
    {
        using var embedder = Embedder.Load(new ModelOptions { Model = Fixtures.EmbeddingModel, Quantize = WeightFormat.Int8 });
        var inputs = ReferenceCases.Embedding.Value.Select(c => EmbeddingInput.Document(c.Text)).ToArray();
        var together = embedder.Embed(inputs);
        for (var i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(embedder.Embed([inputs[i]])[0].Vector, together[i].Vector);
        }
    }
}
