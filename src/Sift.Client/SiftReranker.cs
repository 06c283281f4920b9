using System.Text.Json;
using Sift.Abstractions;

namespace Sift.Client;

/// <summary>An <see cref="IReranker"/> backed by a Sift server's /v1/rerank.</summary>
public sealed class SiftReranker : IReranker, IDisposable
{
    private readonly SiftHttp _http;

    /// <summary>Creates a reranker client.</summary>
    public SiftReranker(SiftClientOptions options) => _http = new SiftHttp(options);

    /// <inheritdoc />
    public async Task<IReadOnlyList<RerankResult>> RerankAsync(string query, IReadOnlyList<string> documents, RerankingOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(documents);
        using var json = await _http.PostAsync("/v1/rerank", writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("query", query);
            writer.WriteStartArray("documents");
            foreach (var document in documents)
            {
                writer.WriteStringValue(document);
            }
            writer.WriteEndArray();
            if (options?.ModelId is { } model)
            {
                writer.WriteString("model", model);
            }
            if (options?.TopN is { } topN)
            {
                writer.WriteNumber("top_n", topN);
            }
            if (options?.Instruction is { } instruction)
            {
                writer.WriteString("instruction", instruction);
            }
            writer.WriteBoolean("return_documents", options?.ReturnDocuments ?? false);
            writer.WriteEndObject();
        }, cancellationToken);
        return json.RootElement.GetProperty("results").EnumerateArray().Select(result => new RerankResult(
            result.GetProperty("index").GetInt32(),
            result.GetProperty("relevance_score").GetDouble(),
            result.TryGetProperty("document", out var document) ? document.GetProperty("text").GetString() : null)).ToArray();
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
