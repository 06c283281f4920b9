using System.Text.Json;
using Sift.Engine;
using Sift.Tests.Qwen3;

namespace Sift.Tests.Engine;

public sealed class EmbedderTests
{
    private const float Tolerance = 1e-4f;
    private static Embedder Embedder => ModelFixtures.Embedder.Value;

    public static TheoryData<int> CaseIndices() => new(Enumerable.Range(0, ReferenceCases.Embedding.Value.Count));

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Embed_ReferenceCase_MatchesTokensAndVectorsWithinTolerance(int caseIndex)
    {
        var reference = ReferenceCases.Embedding.Value[caseIndex];
        var input = EmbeddingInput.Document(reference.Text);

        Assert.Equal(reference.InputIds, Embedder.Tokenize(input, 0, new EmbedOptions()));
        var full = Embedder.Embed([input])[0];
        var dim32 = Embedder.Embed([input], new EmbedOptions { Dimensions = 32 })[0];

        Assert.Equal(reference.InputIds.Length, full.TokenCount);
        AssertClose(reference.Embedding, full.Vector);
        AssertClose(reference.EmbeddingDim32, dim32.Vector);
    }

    [Fact]
    public void QueryPrompt_ReferenceQueries_FormatsAsTheReference()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Fixtures.EmbeddingModel, "reference.json")));
        var queries = document.RootElement.GetProperty("queries").EnumerateArray().ToArray();
        for (var i = 0; i < queries.Length; i++)
        {
            var task = queries[i].GetProperty("task").GetString();
            var query = EmbeddingInput.Query(queries[i].GetProperty("query").GetString()!, task == Prompts.DefaultInstruction ? null : task);
            Assert.Equal(ReferenceCases.Embedding.Value[i].Text, query.PromptText);
        }
    }

    [Fact]
    public void Embed_QueriesAndDocuments_ReproduceReferenceSimilarities()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Fixtures.EmbeddingModel, "reference.json")));
        var root = document.RootElement;
        var queries = root.GetProperty("queries").EnumerateArray()
            .Select(q => EmbeddingInput.Query(q.GetProperty("query").GetString()!, q.GetProperty("task").GetString())).ToArray();
        var documents = root.GetProperty("documents").EnumerateArray().Select(d => EmbeddingInput.Document(d.GetString()!)).ToArray();
        var expected = root.GetProperty("query_document_similarity").EnumerateArray()
            .Select(row => row.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();

        var queryVectors = Embedder.Embed(queries);
        var documentVectors = Embedder.Embed(documents);
        for (var q = 0; q < queries.Length; q++)
        {
            for (var d = 0; d < documents.Length; d++)
            {
                var similarity = System.Numerics.Tensors.TensorPrimitives.Dot(queryVectors[q].Vector, documentVectors[d].Vector);
                Assert.True(Math.Abs(similarity - expected[q][d]) < Tolerance, $"query {q} × document {d}: {similarity} vs {expected[q][d]}");
            }
        }
    }

    [Fact]
    public void Embed_BatchOfMixedLengths_EqualsEachEmbeddedAloneBitwise()
    {
        var inputs = ReferenceCases.Embedding.Value.Select(c => EmbeddingInput.Document(c.Text)).ToArray();
        var alone = inputs.Select(i => Embedder.Embed([i])[0].Vector).ToArray();
        var together = Embedder.Embed(inputs);
        var shuffled = Embedder.Embed(inputs.Reverse().Concat(inputs).ToArray());
        for (var i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(alone[i], together[i].Vector);
            Assert.Equal(alone[i], shuffled[inputs.Length - 1 - i].Vector);
            Assert.Equal(alone[i], shuffled[inputs.Length + i].Vector);
        }
    }

    [Fact]
    public void Embed_SmallTokenBudget_SplitsIntoPassesWithIdenticalResults()
    {
        using var small = Sift.Engine.Embedder.Load(new ModelOptions { Model = Fixtures.EmbeddingModel, MaxBatchTokens = 16 });
        var inputs = ReferenceCases.Embedding.Value.Take(6).Select(c => EmbeddingInput.Document(c.Text)).ToArray();
        var expected = Embedder.Embed(inputs);
        var actual = small.Embed(inputs);
        for (var i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(expected[i].Vector, actual[i].Vector);
        }
    }

    [Fact]
    public void Tokenize_TextAlreadyEndingInEndOfText_KeepsExactlyOne()
    {
        var ids = Embedder.Tokenize(EmbeddingInput.Document("hello<|endoftext|>"), 0, new EmbedOptions());
        Assert.Equal(151643, ids[^1]);
        Assert.NotEqual(151643, ids[^2]);
    }

    [Fact]
    public void Tokenize_TokenIdInput_AppendsEndOfText()
    {
        Assert.Equal([9707, 1879, 151643], Embedder.Tokenize(EmbeddingInput.Tokens([9707, 1879]), 0, new EmbedOptions()));
        Assert.Equal([9707, 151643], Embedder.Tokenize(EmbeddingInput.Tokens([9707, 151643]), 0, new EmbedOptions()));
    }

    [Fact]
    public void Tokenize_LongInputWithTruncation_KeepsFirstTokensThenEndOfText()
    {
        var longCase = ReferenceCases.Embedding.Value.Single(c => c.InputIds.Length > 500);
        var ids = Embedder.Tokenize(EmbeddingInput.Document(longCase.Text), 0, new EmbedOptions { MaxLength = 100 });
        Assert.Equal([.. longCase.InputIds[..99], 151643], ids);
    }

    [Fact]
    public void Tokenize_LongInputWithoutTruncation_NamesIndexLengthAndLimit()
    {
        var longCase = ReferenceCases.Embedding.Value.Single(c => c.InputIds.Length > 500);
        var error = Assert.Throws<SiftRequestException>(() =>
            Embedder.Tokenize(EmbeddingInput.Document(longCase.Text), 3, new EmbedOptions { MaxLength = 100, Truncate = false }));
        Assert.Contains("input 3", error.Message);
        Assert.Contains($"{longCase.InputIds.Length} tokens", error.Message);
        Assert.Contains("100", error.Message);
        Assert.Equal("input_too_long", error.Code);
    }

    [Theory]
    [InlineData(31)]
    [InlineData(65)]
    [InlineData(0)]
    [InlineData(-5)]
    public void Embed_DimensionsOutOfRange_NamesTheValidRange(int dimensions)
    {
        var error = Assert.Throws<SiftRequestException>(() => Embedder.Embed([EmbeddingInput.Document("x")], new EmbedOptions { Dimensions = dimensions }));
        Assert.Contains($"{dimensions}", error.Message);
        Assert.Contains("32..64", error.Message);
        Assert.Equal("dimensions", error.Param);
    }

    [Fact]
    public void Embed_EmptyList_IsRefused()
    {
        Assert.Throws<SiftRequestException>(() => Embedder.Embed([]));
    }

    [Fact]
    public void Embed_TokenIdOutsideVocabulary_NamesTheId()
    {
        var error = Assert.Throws<SiftRequestException>(() => Embedder.Embed([EmbeddingInput.Tokens([5, 999_999])]));
        Assert.Contains("999999", error.Message);
    }

    [Fact]
    public void Embed_WithoutNormalization_ReturnsPooledStateWhoseDirectionMatches()
    {
        var raw = Embedder.Embed([EmbeddingInput.Document("direction")], new EmbedOptions { Normalize = false })[0].Vector;
        var unit = Embedder.Embed([EmbeddingInput.Document("direction")])[0].Vector;
        var norm = MathF.Sqrt(raw.Sum(v => v * v));
        Assert.NotEqual(1f, norm, 3);
        AssertClose(unit, raw.Select(v => v / norm).ToArray());
    }

    [Fact]
    public async Task GenerateAsync_AsMicrosoftExtensionsAiGenerator_EmbedsDocuments()
    {
        Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>> generator = Embedder;
        var reference = ReferenceCases.Embedding.Value[3];
        var result = await generator.GenerateAsync([reference.Text], new() { Dimensions = 32 }, TestContext.Current.CancellationToken);
        AssertClose(reference.EmbeddingDim32, result[0].Vector.ToArray());
        Assert.Equal(reference.InputIds.Length, result.Usage!.InputTokenCount);
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var maxDifference = expected.Select((e, i) => Math.Abs(e - actual[i])).Max();
        Assert.True(maxDifference < Tolerance, $"max difference {maxDifference} exceeds {Tolerance}");
    }
}
