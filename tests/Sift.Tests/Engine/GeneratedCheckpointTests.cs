using Sift.Engine;
using Sift.Tests.Support;

namespace Sift.Tests.Engine;

/// <summary>
/// Loads checkpoints of other shapes and layouts than the fixtures (head_dim, head counts, layer
/// count, tied head, key prefixes, dtypes, no tokenizer template) and checks the engine against a
/// plain double-precision forward of the same weights.
/// </summary>
public sealed class GeneratedCheckpointTests
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string> Variants() => new(VariantSpecs.Keys);

    private static readonly Dictionary<string, TinyQwen3Spec> VariantSpecs = new()
    {
        ["tied, prefixed embedding, f16 layers, 6q/2kv heads of 16, 3 layers, ffn 72"] = new TinyQwen3Spec(),
        ["untied, all prefixed, bf16, multi-query (4q/1kv heads of 24), 1 layer"] = new TinyQwen3Spec
        {
            Hidden = 40, Layers = 1, Heads = 4, KeyValueHeads = 1, HeadDim = 24, Intermediate = 50, Tied = false,
            PrefixLayers = true, LayerType = Sift.Checkpoints.TensorType.BF16, Seed = 11,
        },
        ["f32 everything, no GQA (2q/2kv heads of 8), 4 layers, template tokenizer"] = new TinyQwen3Spec
        {
            Hidden = 32, Layers = 4, Heads = 2, KeyValueHeads = 2, HeadDim = 8, Intermediate = 96, PrefixEmbedding = false,
            LayerType = Sift.Checkpoints.TensorType.F32, EmbeddingType = Sift.Checkpoints.TensorType.F32, TokenizerTemplate = true, Seed = 13,
        },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Embed_GeneratedCheckpoint_MatchesDoublePrecisionReference(string variant)
    {
        using var checkpoint = TinyQwen3Checkpoint.Create(VariantSpecs[variant]);
        using var embedder = Embedder.Load(new ModelOptions { Model = checkpoint.Directory });
        var reference = new ReferenceQwen3(checkpoint);
        string[] texts = ["Hello world", "A longer document, with punctuation; and numbers 12345.", "中文 text", ""];

        var results = embedder.Embed(texts.Select(EmbeddingInput.Document).ToArray());
        for (var i = 0; i < texts.Length; i++)
        {
            var ids = embedder.Tokenize(EmbeddingInput.Document(texts[i]), i, new EmbedOptions());
            Assert.Equal(151643, ids[^1]);
            Assert.Equal(1, ids.Count(id => id == 151643));
            var expected = reference.LastHidden(ids);
            var norm = Math.Sqrt(expected.Sum(v => v * v));
            var maxDifference = expected.Select((v, c) => Math.Abs(v / norm - results[i].Vector[c])).Max();
            Assert.True(maxDifference < Tolerance, $"text {i}: max difference {maxDifference}");
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Score_GeneratedCheckpoint_MatchesDoublePrecisionReference(string variant)
    {
        using var checkpoint = TinyQwen3Checkpoint.Create(VariantSpecs[variant]);
        using var reranker = Reranker.Load(new ModelOptions { Model = checkpoint.Directory });
        var reference = new ReferenceQwen3(checkpoint);
        var ids = reranker.BuildInput("what is sift?", "Sift embeds and reranks text.", new RerankOptions());

        var score = reranker.Score("what is sift?", ["Sift embeds and reranks text."])[0];
        var hidden = reference.LastHidden(ids);
        var yes = reference.Logit(hidden, 9693);
        var no = reference.Logit(hidden, 2152);
        Assert.True(Math.Abs(yes - score.LogitYes) < Tolerance, $"logit_yes {score.LogitYes} vs {yes}");
        Assert.True(Math.Abs(no - score.LogitNo) < Tolerance, $"logit_no {score.LogitNo} vs {no}");
        Assert.True(Math.Abs(1 / (1 + Math.Exp(no - yes)) - score.Score) < Tolerance);
    }

    [Fact]
    public void Tokenize_TokenizerWithoutTemplate_GivesSameIdsAsWithTemplate()
    {
        using var checkpoint = TinyQwen3Checkpoint.Create(new TinyQwen3Spec { TokenizerTemplate = false });
        using var embedder = Embedder.Load(new ModelOptions { Model = checkpoint.Directory });
        Assert.Empty(embedder.Tokenizer.SuffixIds);
        foreach (var reference in Sift.Tests.Qwen3.ReferenceCases.Embedding.Value)
        {
            Assert.Equal(reference.InputIds, embedder.Tokenize(EmbeddingInput.Document(reference.Text), 0, new EmbedOptions()));
        }
    }
}
