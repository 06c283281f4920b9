using Sift.Engine;
using Sift.Server.Hosting;
using Sift.Server.Routes;

namespace Sift.Server.Caching;

/// <summary>
/// The embedding routes' service with a cache in front: a request's text inputs are looked up
/// together, only the misses are computed (batched as one request), and they are stored for the
/// next time. Vectors are cached finished (dimensions, normalization applied) and bit for bit, so
/// a hit answers the same bytes as the computation. Token-id inputs are always computed.
/// </summary>
internal sealed class CachingEmbeddingService(EmbeddingService inner, ResultCache cache, ModelIdentities models) : IEmbeddingService
{
    public const string Kind = "embedding";

    public async Task<(EmbeddingResult[] Results, int Tokens)> EmbedAsync(ServedEmbedder model, IReadOnlyList<EmbeddingInput> inputs, EmbedOptions embedOptions,
        string inputField, HttpContext context)
    {
        if (embedOptions.Windows is { ReturnWindows: true })
        {
            // The cache keeps a document's vector, not its windows'.
            return await inner.EmbedAsync(model, inputs, embedOptions, inputField, context);
        }
        inner.Validate(model, inputs, embedOptions, inputField);
        var keys = inputs.Select(input => KeyOf(model, input, embedOptions)).ToArray();
        var cached = await cache.GetAsync<CachedEmbedding>(Kind, keys, context.RequestAborted);
        var vectors = new float[inputs.Count][];
        var tokenCounts = new int[inputs.Count];
        var misses = new List<int>();
        for (var i = 0; i < inputs.Count; i++)
        {
            if (cached[i] is { } hit)
            {
                (vectors[i], tokenCounts[i]) = (hit.Vector, hit.TokenCount);
            }
            else
            {
                misses.Add(i);
            }
        }
        if (misses.Count > 0)
        {
            var computed = await inner.ComputeAsync(model, misses.Select(i => inputs[i]).ToArray(), misses, embedOptions, inputField, context);
            for (var k = 0; k < misses.Count; k++)
            {
                (vectors[misses[k]], tokenCounts[misses[k]]) = (computed[k].Vector, computed[k].TokenCount);
            }
            await cache.SetAsync(misses.Where(i => keys[i] is not null).Select(i => (keys[i]!, new CachedEmbedding(vectors[i], tokenCounts[i]))));
        }
        CacheStatus.Write(context, inputs.Count - misses.Count, inputs.Count);
        return (vectors.Select((vector, i) => new EmbeddingResult(vector, tokenCounts[i])).ToArray(), tokenCounts.Sum());
    }

    /// <summary>
    /// Everything the vector depends on besides the model: the text the model reads (query prompt
    /// included), whether it is a query (a document with a query's text is windowed, a query never is), and the options.
    /// </summary>
    private string? KeyOf(ServedEmbedder model, EmbeddingInput input, EmbedOptions options)
    {
        if (input.PromptText is not { } text)
        {
            return null;
        }
        using var key = new CacheKey(Kind);
        return key.Add(models.Embedding).Add(input.IsQuery).Add(text).Add(options.Dimensions ?? -1).Add(options.Normalize).Add(options.Truncate)
            .Add(options.TruncateFromStart).Add(options.MaxLength ?? model.Embedder.MaxLength)
            .Add(options.Windows?.Key ?? "").ToString();
    }
}
