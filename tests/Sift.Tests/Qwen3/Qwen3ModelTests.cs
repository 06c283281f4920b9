using Sift.Checkpoints;
using Sift.Qwen3;

namespace Sift.Tests.Qwen3;

public sealed class Qwen3ModelTests
{
    [Fact]
    public void Forward_ReferenceInputIds_MatchesReferenceEmbeddings()
    {
        using var model = Qwen3Model.Load(Qwen3Config.Load(Fixtures.EmbeddingModel), SafetensorsCheckpoint.Open(Fixtures.EmbeddingModel));
        foreach (var reference in ReferenceCases.Embedding.Value)
        {
            var pooled = new float[model.Config.HiddenSize];
            model.Forward(PackedBatch.Create([reference.InputIds]), pooled);
            var norm = MathF.Sqrt(pooled.Sum(v => v * v));
            var maxDifference = pooled.Select((v, i) => Math.Abs(v / norm - reference.Embedding[i])).Max();
            Assert.True(maxDifference < 1e-4, $"'{reference.Text[..Math.Min(30, reference.Text.Length)]}': max difference {maxDifference}");
        }
    }
}
