using System.Numerics.Tensors;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Sift.Abstractions;

namespace Sift.Client;

/// <summary>
/// An <see cref="IReranker"/> backed by a Sift server's /v1/rerank, with retries and a circuit
/// breaker (<see cref="SiftClientOptions.Resilience"/>), an opt-in fallback to embedding
/// similarity and a low-confidence callback (<see cref="SiftRerankerOptions"/>).
/// </summary>
public sealed class SiftReranker : IReranker, IDisposable
{
    private readonly SiftHttp _http;
    private readonly SiftRerankerOptions _options;

    /// <summary>Creates a reranker client.</summary>
    public SiftReranker(SiftClientOptions options, SiftRerankerOptions? rerankerOptions = null)
    {
        _http = new SiftHttp(options);
        _options = rerankerOptions ?? new SiftRerankerOptions();
        _options.LowConfidenceRule.Validate();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RerankResult>> RerankAsync(string query, IReadOnlyList<string> documents, RerankingOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(documents);
        IReadOnlyList<RerankResult> results;
        try
        {
            results = await CallServerAsync(query, documents, options, cancellationToken);
        }
        catch (Exception e) when (_options.Fallback is { } fallback && IsUnavailable(e, cancellationToken))
        {
            return await RankBySimilarityAsync(fallback, query, documents, options, cancellationToken);
        }
        if (_options.OnLowConfidence is { } onLowConfidence)
        {
            var statistics = ScoreStatistics.Of(results.Select(r => r.RelevanceScore));
            if (_options.LowConfidenceRule.IsLowConfidence(statistics))
            {
                onLowConfidence(new LowConfidenceAlert(query, statistics, results));
            }
        }
        return results;
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private async Task<IReadOnlyList<RerankResult>> CallServerAsync(string query, IReadOnlyList<string> documents, RerankingOptions? options,
        CancellationToken cancellationToken)
    {
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
            if (options?.LongDocuments is { } strategy)
            {
                writer.WriteString("long_document_strategy", strategy.ToString().ToLowerInvariant());
            }
            if (options?.WindowOverlap is { } overlap)
            {
                writer.WriteNumber("window_overlap", overlap);
            }
            if (options?.ReturnWindows == true)
            {
                writer.WriteBoolean("return_windows", true);
            }
            writer.WriteEndObject();
        }, cancellationToken);
        return json.RootElement.GetProperty("results").EnumerateArray().Select(result => new RerankResult(
            result.GetProperty("index").GetInt32(),
            result.GetProperty("relevance_score").GetDouble(),
            result.TryGetProperty("document", out var document) ? document.GetProperty("text").GetString() : null)
        {
            Window = result.TryGetProperty("window", out var window)
                ? new DocumentWindow(window.GetInt32(), result.GetProperty("window_span").GetProperty("start").GetInt32(),
                    result.GetProperty("window_span").GetProperty("end").GetInt32(), result.GetProperty("windows").GetInt32())
                : null,
        }).ToArray();
    }

    /// <summary>
    /// The reranker is not there (network, timeout, 408/429/5xx after the retries, open circuit):
    /// falling back makes sense. A 4xx about the request, or the caller's cancellation, is not that.
    /// </summary>
    private static bool IsUnavailable(Exception exception, CancellationToken callerToken) => exception switch
    {
        SiftApiException { Status: 408 or 429 or >= 500 } => true,
        SiftApiException => false,
        HttpRequestException or TimeoutException => true,
        OperationCanceledException => !callerToken.IsCancellationRequested,
        _ => false,
    };

    private static async Task<IReadOnlyList<RerankResult>> RankBySimilarityAsync(IEmbeddingGenerator<string, Embedding<float>> fallback, string query,
        IReadOnlyList<string> documents, RerankingOptions? options, CancellationToken cancellationToken)
    {
        var queryOptions = new EmbeddingGenerationOptions { AdditionalProperties = new() { ["input_type"] = "query" } };
        if (options?.Instruction is { } instruction)
        {
            queryOptions.AdditionalProperties["instruction"] = instruction;
        }
        var documentOptions = new EmbeddingGenerationOptions { AdditionalProperties = new() { ["input_type"] = "document" } };
        var queryVector = (await fallback.GenerateAsync([query], queryOptions, cancellationToken))[0].Vector;
        var documentVectors = await fallback.GenerateAsync(documents, documentOptions, cancellationToken);
        return documentVectors
            .Select((embedding, index) => (Index: index, Score: (double)TensorPrimitives.CosineSimilarity(queryVector.Span, embedding.Vector.Span)))
            .OrderByDescending(r => r.Score)
            .ThenBy(r => r.Index)
            .Take(options?.TopN ?? int.MaxValue)
            .Select(r => new RerankResult(r.Index, r.Score, options?.ReturnDocuments == true ? documents[r.Index] : null) { IsFallback = true })
            .ToArray();
    }
}
