using Sift.Engine;
using Sift.Server.Errors;
using Sift.Server.Hosting;

namespace Sift.Server.Routes;

/// <summary>The embedding request path shared by the OpenAI and TEI routes: limits, tokenization, scheduling, finishing.</summary>
internal sealed class EmbeddingService(ServerOptions options) : IEmbeddingService
{
    public async Task<(EmbeddingResult[] Results, int Tokens)> EmbedAsync(ServedEmbedder model, IReadOnlyList<EmbeddingInput> inputs, EmbedOptions embedOptions,
        string inputField, HttpContext context)
    {
        Validate(model, inputs, embedOptions, inputField);
        var results = await ComputeAsync(model, inputs, null, embedOptions, inputField, context);
        return (results, results.Sum(r => r.TokenCount));
    }

    /// <summary>The checks on the request as a whole: how many inputs, which dimensions.</summary>
    public void Validate(ServedEmbedder model, IReadOnlyList<EmbeddingInput> inputs, EmbedOptions embedOptions, string inputField)
    {
        if (inputs.Count == 0)
        {
            throw ApiException.BadRequest($"'{inputField}' is empty; give at least one input", inputField);
        }
        RequestLimits.CheckBatchSize(inputs.Count, options, inputField);
        model.Embedder.ValidateDimensions(embedOptions.Dimensions);
    }

    /// <summary>
    /// Tokenizes, schedules and finishes inputs already validated as a request; returns each one's
    /// vector and token count (every window's tokens for an input read in windows).
    /// </summary>
    /// <param name="model">The embedding model.</param>
    /// <param name="inputs">The inputs to compute.</param>
    /// <param name="positions">Each input's position in the request, for error messages (null: their order here).</param>
    /// <param name="embedOptions">Dimensions, normalization, truncation, windows.</param>
    /// <param name="inputField">The request field holding the inputs ("input", "inputs"), which errors about an input name.</param>
    /// <param name="context">The request.</param>
    public async Task<EmbeddingResult[]> ComputeAsync(ServedEmbedder model, IReadOnlyList<EmbeddingInput> inputs,
        IReadOnlyList<int>? positions, EmbedOptions embedOptions, string inputField, HttpContext context)
    {
        EmbeddingBatch batch;
        try
        {
            // Windows are ordinary sequences here: the scheduler's token budget bounds each pass, however long the document.
            batch = model.Embedder.Prepare(inputs, positions, embedOptions);
        }
        catch (SiftRequestException e) when (e.Param == "input" && inputField != "input")
        {
            // The engine names its own parameter; the client sent this route's.
            throw new SiftRequestException(e.Message, inputField, e.Code);
        }
        var sequences = batch.Sequences;
        var result = await model.Scheduler.SubmitAsync(sequences, context.RequestAborted);
        NonFiniteOutputException.ThrowIfAny(model.Name, result.Vectors, i => model.Embedder.Model.ExplainNonFinite(sequences[i]));
        var results = batch.Finish(result.Vectors, embedOptions);
        Record(context, inputs.Count, results.Sum(r => r.TokenCount), result);
        return results;
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
