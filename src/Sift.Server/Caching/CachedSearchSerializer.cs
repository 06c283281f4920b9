using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Caching.Hybrid;
using Sift.Retrieval;

namespace Sift.Server.Caching;

/// <summary>
/// Bytes of a <see cref="CachedSearch"/>: the format version, then JSON with each hit in the API's
/// shape (<see cref="SearchHit.WriteProperties"/>). Scores are float32 and .NET writes the shortest
/// text that reads back as the same float, so a hit answers bit for bit what the search computed.
/// Bytes of another version, or that do not parse, read as null, a miss.
/// </summary>
internal sealed class CachedSearchSerializer : IHybridCacheSerializer<CachedSearch>
{
    public CachedSearch Deserialize(ReadOnlySequence<byte> source)
    {
        var bytes = source.IsSingleSegment ? source.First : source.ToArray();
        if (bytes.Length < 2 || bytes.Span[0] != CacheKey.FormatVersion)
        {
            return null!;
        }
        try
        {
            using var json = JsonDocument.Parse(bytes[1..]);
            var root = json.RootElement;
            var results = root.GetProperty("results").EnumerateArray().Select(ReadHit).ToArray();
            var response = new SearchResponse(results, root.GetProperty("reranked").GetBoolean(), root.GetProperty("recalled").GetInt32(),
                root.GetProperty("embed_tokens").GetInt32(), root.GetProperty("rerank_tokens").GetInt32(), new SearchTimings(0, 0, 0, 0),
                root.GetProperty("write_version").GetInt64())
            {
                Hybrid = root.GetProperty("hybrid").GetBoolean(),
                // Only "no_reranker" is ever stored (a server without a reranker); an outage's fallback never is.
                FallbackReason = root.TryGetProperty("fallback_reason", out var reason) ? reason.GetString() : null,
            };
            return new CachedSearch(response);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or RetrievalException)
        {
            return null!;
        }
    }

    public void Serialize(CachedSearch value, IBufferWriter<byte> target)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(target);
        target.GetSpan(1)[0] = CacheKey.FormatVersion;
        target.Advance(1);
        using var json = new Utf8JsonWriter(target);
        var response = value.Response;
        json.WriteStartObject();
        WriteResults(json, response.Results);
        json.WriteBoolean("reranked", response.Reranked);
        json.WriteBoolean("hybrid", response.Hybrid);
        json.WriteNumber("recalled", response.Recalled);
        json.WriteNumber("embed_tokens", response.EmbedTokens);
        json.WriteNumber("rerank_tokens", response.RerankTokens);
        json.WriteNumber("write_version", response.WriteVersion);
        if (response.FallbackReason is { } reason)
        {
            json.WriteString("fallback_reason", reason);
        }
        json.WriteEndObject();
    }

    /// <summary>"results": the hits in the API's shape, as the search route writes them too.</summary>
    public static void WriteResults(Utf8JsonWriter json, IReadOnlyList<SearchHit> results)
    {
        json.WriteStartArray("results");
        foreach (var hit in results)
        {
            json.WriteStartObject();
            hit.WriteProperties(json);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static SearchHit ReadHit(JsonElement hit)
    {
        var chunk = hit.GetProperty("chunk");
        return new SearchHit(hit.GetProperty("id").GetString()!, hit.GetProperty("score").GetSingle(), hit.GetProperty("vector_score").GetSingle(),
            chunk.GetProperty("index").GetInt32(), chunk.GetProperty("text").GetString()!, DocumentMetadata.FromJson(hit.GetProperty("metadata"), "metadata"))
        {
            Stage = hit.GetProperty("stage").GetString()!,
        };
    }
}
