using System.Text.Json;

namespace Sift.Tests.Qwen3;

/// <summary>The fixtures' reference.json files, computed in float64 by an independent implementation.</summary>
internal static class ReferenceCases
{
    public static readonly Lazy<IReadOnlyList<EmbeddingCase>> Embedding = new(() =>
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Fixtures.EmbeddingModel, "reference.json")));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => new EmbeddingCase(
            c.GetProperty("text").GetString()!,
            Ints(c.GetProperty("input_ids")),
            Floats(c.GetProperty("embedding")),
            Floats(c.GetProperty("embedding_dim32")))).ToList();
    });

    public static readonly Lazy<IReadOnlyList<RerankCase>> Rerank = new(() =>
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Fixtures.RerankerModel, "reference.json")));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => new RerankCase(
            c.GetProperty("instruction").ValueKind == JsonValueKind.Null ? null : c.GetProperty("instruction").GetString(),
            c.GetProperty("query").GetString()!,
            c.GetProperty("document").GetString()!,
            c.TryGetProperty("max_length", out var maxLength) ? maxLength.GetInt32() : null,
            Ints(c.GetProperty("input_ids")),
            c.GetProperty("logit_yes").GetSingle(),
            c.GetProperty("logit_no").GetSingle(),
            c.GetProperty("score").GetSingle())).ToList();
    });

    private static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    private static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => e.GetSingle()).ToArray();
}

internal sealed record EmbeddingCase(string Text, int[] InputIds, float[] Embedding, float[] EmbeddingDim32);

internal sealed record RerankCase(string? Instruction, string Query, string Document, int? MaxLength, int[] InputIds,
    float LogitYes, float LogitNo, float Score);
