using Sift.Engine;
using Sift.Server.Errors;
using Sift.Server.Hosting;

namespace Sift.Server.Routes;

/// <summary>The embedding request path shared by the OpenAI and TEI routes: limits, tokenization, scheduling, finishing.</summary>
internal sealed class EmbeddingService(ServerOptions options) : IEmbeddingService
{
    public async Task<(float[][] Vectors, int Tokens)> EmbedAsync(ServedEmbedder model, IReadOnlyList<EmbeddingInput> inputs, EmbedOptions embedOptions,
        string inputField, HttpContext context)
    {
        Validate(model, inputs, embedOptions, inputField);
        var (vectors, tokenCounts) = await ComputeAsync(model, inputs, null, embedOptions, context);
        return (vectors, tokenCounts.Sum());
    }

    /// <summary>The checks on the request as a whole: how many inputs, which dimensions.</summary>
    public void Validate(ServedEmbedder model, IReadOnlyList<EmbeddingInput> inputs, EmbedOptions embedOptions, string inputField)
    {
        if (inputs.Count == 0)
        {
            throw ApiException.BadRequest($"'{inputField}' is empty; give at least one input", inputField);
        }
        if (inputs.Count > options.MaxClientBatchSize)
        {
            throw ApiException.BadRequest($"'{inputField}' has {inputs.Count} inputs; the limit is {options.MaxClientBatchSize} (--max-client-batch-size)",
                inputField, "too_many_inputs");
        }
        model.Embedder.ValidateDimensions(embedOptions.Dimensions);
    }

    /// <summary>Tokenizes, schedules and finishes inputs already validated as a request; returns each one's vector and token count.</summary>
    /// <param name="model">The embedding model.</param>
    /// <param name="inputs">The inputs to compute.</param>
    /// <param name="positions">Each input's position in the request, for error messages (null: their order here).</param>
    /// <param name="embedOptions">Dimensions, normalization, truncation.</param>
    /// <param name="context">The request.</param>
    public async Task<(float[][] Vectors, int[] TokenCounts)> ComputeAsync(ServedEmbedder model, IReadOnlyList<EmbeddingInput> inputs,
        IReadOnlyList<int>? positions, EmbedOptions embedOptions, HttpContext context)
    {
        var sequences = new int[inputs.Count][];
        for (var i = 0; i < inputs.Count; i++)
        {
            sequences[i] = model.Embedder.Tokenize(inputs[i], positions?[i] ?? i, embedOptions);
        }
        var result = await model.Scheduler.SubmitAsync(sequences, context.RequestAborted);
        var vectors = result.Vectors.Select(v => Embedder.Finish(v, embedOptions.Dimensions, embedOptions.Normalize)).ToArray();
        var tokenCounts = sequences.Select(s => s.Length).ToArray();
        Record(context, inputs.Count, tokenCounts.Sum(), result);
        return (vectors, tokenCounts);
    }

    public static void Record(HttpContext context, int inputs, int tokens, Scheduling.BatchResult result)
    {
        if (context.Features.Get<RequestStats>() is { } stats)
        {
            stats.Inputs = inputs;
            stats.Tokens = tokens;
            stats.QueueMilliseconds = result.QueueMilliseconds;
            stats.ComputeMilliseconds = result.ComputeMilliseconds;
        }
    }
}
