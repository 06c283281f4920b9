using Sift.Engine;
using Sift.Server.Errors;
using Sift.Server.Hosting;

namespace Sift.Server.Routes;

/// <summary>The embedding request path shared by the OpenAI and TEI routes: limits, tokenization, scheduling, finishing.</summary>
internal sealed class EmbeddingService(ServerOptions options)
{
    public async Task<(float[][] Vectors, int Tokens)> EmbedAsync(ServedEmbedder model, IReadOnlyList<EmbeddingInput> inputs, EmbedOptions embedOptions,
        string inputField, HttpContext context)
    {
        if (inputs.Count == 0)
        {
            throw ApiException.BadRequest($"'{inputField}' is empty; give at least one input", inputField);
        }
        RequestLimits.CheckBatchSize(inputs.Count, options, inputField);
        model.Embedder.ValidateDimensions(embedOptions.Dimensions);
        var sequences = new int[inputs.Count][];
        for (var i = 0; i < inputs.Count; i++)
        {
            sequences[i] = model.Embedder.Tokenize(inputs[i], i, embedOptions);
        }
        var result = await model.Scheduler.SubmitAsync(sequences, context.RequestAborted);
        NonFiniteOutputException.ThrowIfAny(model.Name, result.Vectors, i => model.Embedder.Model.ExplainNonFinite(sequences[i]));
        var vectors = result.Vectors.Select(v => Embedder.Finish(v, embedOptions.Dimensions, embedOptions.Normalize)).ToArray();
        var tokens = sequences.Sum(s => s.Length);
        Record(context, inputs.Count, tokens, result);
        return (vectors, tokens);
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
