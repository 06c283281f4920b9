using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Sift.Client;

/// <summary>
/// An <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> backed by a Sift server's /v1/embeddings
/// (base64 transport, exact float32). <see cref="EmbeddingGenerationOptions.Dimensions"/> asks for a
/// Matryoshka size; AdditionalProperties "input_type" ("query" or "document") and "instruction"
/// format queries as the model expects; "long_document_strategy" ("truncate", "chunk" or "error")
/// and "window_overlap" (tokens) say what happens to a document over the server's input limit.
/// </summary>
public sealed class SiftEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly SiftHttp _http;
    private readonly string? _model;

    /// <summary>Creates a generator for <paramref name="model"/> (null: the server's one embedding model).</summary>
    public SiftEmbeddingGenerator(SiftClientOptions options, string? model = null)
    {
        _http = new SiftHttp(options);
        _model = model;
        Metadata = new EmbeddingGeneratorMetadata("sift", options.Endpoint, model);
    }

    /// <summary>Describes this generator.</summary>
    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <inheritdoc />
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var inputs = values.ToArray();
        var model = options?.ModelId ?? _model;
        using var json = await _http.PostAsync("/v1/embeddings", writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("input");
            foreach (var input in inputs)
            {
                writer.WriteStringValue(input);
            }
            writer.WriteEndArray();
            if (model is not null)
            {
                writer.WriteString("model", model);
            }
            if (options?.Dimensions is { } dimensions)
            {
                writer.WriteNumber("dimensions", dimensions);
            }
            foreach (var key in new[] { "input_type", "instruction" })
            {
                if (options?.AdditionalProperties?.TryGetValue(key, out var value) == true && value is string text)
                {
                    writer.WriteString(key, text);
                }
            }
            if (options?.AdditionalProperties?.TryGetValue("long_document_strategy", out var strategy) == true)
            {
                writer.WriteString("long_document_strategy", strategy switch
                {
                    Sift.Abstractions.LongDocumentStrategy value => value.ToString().ToLowerInvariant(),
                    var other => other?.ToString(),
                });
            }
            if (options?.AdditionalProperties?.TryGetValue("window_overlap", out var overlap) == true && overlap is int tokens)
            {
                writer.WriteNumber("window_overlap", tokens);
            }
            writer.WriteString("encoding_format", "base64");
            writer.WriteEndObject();
        }, cancellationToken);

        var root = json.RootElement;
        var modelId = root.GetProperty("model").GetString();
        var embeddings = root.GetProperty("data").EnumerateArray()
            .OrderBy(item => item.GetProperty("index").GetInt32())
            .Select(item => new Embedding<float>(MemoryMarshal.Cast<byte, float>(item.GetProperty("embedding").GetBytesFromBase64().AsSpan()).ToArray())
            {
                ModelId = modelId,
            });
        var tokens = root.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        return new GeneratedEmbeddings<Embedding<float>>(embeddings)
        {
            Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens },
        };
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(EmbeddingGeneratorMetadata) ? Metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
