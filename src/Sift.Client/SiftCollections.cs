using System.Globalization;
using System.Text.Json;

namespace Sift.Client;

/// <summary>
/// A Sift server's collections: create, inspect and delete them, upsert and read documents, and
/// run two-stage searches (/v1/collections...). Refusals surface as <see cref="SiftApiException"/>.
/// </summary>
public sealed class SiftCollections : IDisposable
{
    /// <summary>The server's code for a missing collection: the collection calls answer null (or false) for it.</summary>
    private const string CollectionNotFound = "collection_not_found";

    /// <summary>The server's code for a missing document: the document calls answer null (or false) for it, and throw for a missing collection.</summary>
    private const string DocumentNotFound = "document_not_found";

    private readonly SiftHttp _http;

    /// <summary>Creates a client for the server in <paramref name="options"/>.</summary>
    public SiftCollections(SiftClientOptions options) => _http = new SiftHttp(options);

    /// <summary>Creates a collection (409 when the name is taken).</summary>
    public async Task<SiftCollection> CreateAsync(string name, SiftCollectionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        using var json = await _http.PostAsync("/v1/collections", writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("name", name);
            WriteOptional(writer, "chunk_tokens", options?.ChunkTokens);
            WriteOptional(writer, "chunk_overlap", options?.ChunkOverlap);
            WriteOptional(writer, "dimensions", options?.Dimensions);
            if (options?.Hybrid is { } hybrid)
            {
                writer.WriteBoolean("hybrid", hybrid);
            }
            if (options?.Model is { } model)
            {
                writer.WriteString("model", model);
            }
            writer.WriteEndObject();
        }, cancellationToken);
        return ReadCollection(json.RootElement);
    }

    /// <summary>The collection, or null when there is none of that name.</summary>
    public async Task<SiftCollection?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        using var json = await _http.SendAsync(HttpMethod.Get, $"/v1/collections/{Escape(name)}", null, CollectionNotFound, cancellationToken);
        return json is null ? null : ReadCollection(json.RootElement);
    }

    /// <summary>Every collection, by name.</summary>
    public async Task<IReadOnlyList<SiftCollection>> ListAsync(CancellationToken cancellationToken = default)
    {
        using var json = (await _http.SendAsync(HttpMethod.Get, "/v1/collections", null, nullOnNotFound: null, cancellationToken))!;
        return json.RootElement.GetProperty("collections").EnumerateArray().Select(ReadCollection).ToArray();
    }

    /// <summary>Deletes a collection and its documents; false when there was none.</summary>
    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        using var json = await _http.SendAsync(HttpMethod.Delete, $"/v1/collections/{Escape(name)}", null, CollectionNotFound, cancellationToken);
        return json is not null;
    }

    /// <summary>Inserts or replaces documents; durable when the call returns.</summary>
    public async Task<SiftUpsertResult> UpsertAsync(string collection, IEnumerable<SiftDocument> documents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var items = documents.ToArray();
        using var json = await _http.PostAsync($"/v1/collections/{Escape(collection)}/documents", writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("documents");
            foreach (var document in items)
            {
                writer.WriteStartObject();
                writer.WriteString("id", document.Id);
                writer.WriteString("text", document.Text);
                if (document.Metadata is { } metadata)
                {
                    writer.WritePropertyName("metadata");
                    WriteFlat(writer, metadata);
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }, cancellationToken);
        var root = json.RootElement;
        return new SiftUpsertResult(root.GetProperty("upserted").GetInt32(), root.GetProperty("chunks").GetInt32(), root.GetProperty("write_version").GetInt64(),
            root.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }

    /// <summary>A document, or null when the collection has none with that id (a missing collection throws, 404 collection_not_found).</summary>
    public async Task<SiftDocument?> GetDocumentAsync(string collection, string id, CancellationToken cancellationToken = default)
    {
        using var json = await _http.SendAsync(HttpMethod.Get, $"/v1/collections/{Escape(collection)}/documents/{EscapeId(id)}", null, DocumentNotFound, cancellationToken);
        if (json is null)
        {
            return null;
        }
        var root = json.RootElement;
        return new SiftDocument(root.GetProperty("id").GetString()!, root.GetProperty("text").GetString()!, ReadFlat(root.GetProperty("metadata")))
        {
            Chunks = root.GetProperty("chunks").GetInt32(),
        };
    }

    /// <summary>Document ids in order, after <paramref name="after"/>, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<string>> ListDocumentIdsAsync(string collection, string? after = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        var query = string.Create(CultureInfo.InvariantCulture, $"?limit={limit}") + (after is null ? "" : $"&after={Uri.EscapeDataString(after)}");
        using var json = (await _http.SendAsync(HttpMethod.Get, $"/v1/collections/{Escape(collection)}/documents{query}", null, nullOnNotFound: null, cancellationToken))!;
        return json.RootElement.GetProperty("ids").EnumerateArray().Select(i => i.GetString()!).ToArray();
    }

    /// <summary>Deletes a document; false when there was none (a missing collection throws, 404 collection_not_found).</summary>
    public async Task<bool> DeleteDocumentAsync(string collection, string id, CancellationToken cancellationToken = default)
    {
        using var json = await _http.SendAsync(HttpMethod.Delete, $"/v1/collections/{Escape(collection)}/documents/{EscapeId(id)}", null, DocumentNotFound, cancellationToken);
        return json is not null;
    }

    /// <summary>Two-stage search: the best documents for <paramref name="query"/>, each with its best chunk.</summary>
    public async Task<SiftSearchResponse> SearchAsync(string collection, string query, SiftSearchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var json = await _http.PostAsync($"/v1/collections/{Escape(collection)}/search", writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("query", query);
            if (options?.Instruction is { } instruction)
            {
                writer.WriteString("instruction", instruction);
            }
            WriteOptional(writer, "top_k", options?.TopK);
            WriteOptional(writer, "top_n", options?.TopN);
            WriteOptional(writer, "rerank_top", options?.RerankTop);
            if (options?.Hybrid is { } hybrid)
            {
                writer.WriteBoolean("hybrid", hybrid);
            }
            if (options?.Rerank is { } rerank)
            {
                writer.WriteBoolean("rerank", rerank);
            }
            if (options?.RerankInstruction is { } rerankInstruction)
            {
                writer.WriteString("rerank_instruction", rerankInstruction);
            }
            if (options?.Filter is { } filter)
            {
                writer.WritePropertyName("filter");
                WriteFlat(writer, filter);
            }
            writer.WriteEndObject();
        }, cancellationToken);
        var root = json.RootElement;
        var results = root.GetProperty("results").EnumerateArray().Select(r => new SiftSearchResult(
            r.GetProperty("id").GetString()!,
            r.GetProperty("score").GetDouble(),
            r.GetProperty("vector_score").GetDouble(),
            r.GetProperty("chunk").GetProperty("index").GetInt32(),
            r.GetProperty("chunk").GetProperty("text").GetString()!,
            ReadFlat(r.GetProperty("metadata")))
        {
            Stage = r.GetProperty("stage").GetString()!,
        }).ToArray();
        var timings = root.GetProperty("timings_ms").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        return new SiftSearchResponse(results, root.GetProperty("reranked").GetBoolean(), root.GetProperty("usage").GetProperty("total_tokens").GetInt32(), timings)
        {
            Hybrid = root.GetProperty("hybrid").GetBoolean(),
        };
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private static string Escape(string value) => Uri.EscapeDataString(value ?? throw new ArgumentNullException(nameof(value)));

    /// <summary>
    /// A document id in a path: each '/'-separated part escaped, the slashes kept (the server's route
    /// takes the rest of the path). A "." or ".." part is refused: URL resolution would turn
    /// documents/../../other into the collection "other".
    /// </summary>
    private static string EscapeId(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var segments = id.Split('/');
        if (segments.Any(segment => segment is "." or ".."))
        {
            throw new ArgumentException($"document id \"{id}\" has a '.' or '..' segment, which a URL path cannot carry (the server refuses such ids)", nameof(id));
        }
        return string.Join('/', segments.Select(Uri.EscapeDataString));
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, int? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
    }

    private static void WriteFlat(Utf8JsonWriter writer, IReadOnlyDictionary<string, object> values)
    {
        writer.WriteStartObject();
        foreach (var (key, value) in values)
        {
            writer.WritePropertyName(key);
            switch (value)
            {
                case string text: writer.WriteStringValue(text); break;
                case bool boolean: writer.WriteBooleanValue(boolean); break;
                // Integers go as written: the server keeps numbers as doubles and refuses an integer one cannot hold exactly
                // (beyond ±2^53) instead of storing it altered, which it could not see in 1.2345678901234568E+18.
                case long or int or short or sbyte:
                    writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                    break;
                case ulong or uint or ushort or byte:
                    writer.WriteNumberValue(Convert.ToUInt64(value, CultureInfo.InvariantCulture));
                    break;
                case decimal number:
                    writer.WriteNumberValue(number);
                    break;
                case float or double:
                    writer.WriteNumberValue(Convert.ToDouble(value, CultureInfo.InvariantCulture));
                    break;
                default:
                    throw new ArgumentException($"metadata value of '{key}' is a {value?.GetType().Name ?? "null"}; use a string, a number or a bool", nameof(values));
            }
        }
        writer.WriteEndObject();
    }

    private static Dictionary<string, object> ReadFlat(JsonElement value) => value.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind switch
    {
        JsonValueKind.String => (object)p.Value.GetString()!,
        JsonValueKind.Number => p.Value.GetDouble(),
        _ => p.Value.GetBoolean(),
    });

    private static SiftCollection ReadCollection(JsonElement json) => new(
        json.GetProperty("name").GetString()!,
        json.GetProperty("model").GetString()!,
        json.GetProperty("dimensions").GetInt32(),
        json.GetProperty("chunk_tokens").GetInt32(),
        json.GetProperty("chunk_overlap").GetInt32(),
        json.GetProperty("documents").GetInt64(),
        json.GetProperty("chunks").GetInt64(),
        json.GetProperty("write_version").GetInt64(),
        json.GetProperty("created_at").GetDateTimeOffset())
    {
        Hybrid = json.GetProperty("hybrid").GetBoolean(),
    };
}
