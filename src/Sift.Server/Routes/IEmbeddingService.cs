using Sift.Engine;
using Sift.Server.Hosting;

namespace Sift.Server.Routes;

/// <summary>What the embedding routes call: one request's inputs in, finished results (vectors, and windows when asked for) and their token count out.</summary>
internal interface IEmbeddingService
{
    /// <summary>Embeds one request's inputs, in order.</summary>
    /// <param name="model">The embedding model.</param>
    /// <param name="inputs">The request's inputs.</param>
    /// <param name="embedOptions">Dimensions, normalization, truncation, windows.</param>
    /// <param name="inputField">The request field holding the inputs, for error messages.</param>
    /// <param name="context">The request.</param>
    Task<(EmbeddingResult[] Results, int Tokens)> EmbedAsync(ServedEmbedder model, IReadOnlyList<EmbeddingInput> inputs, EmbedOptions embedOptions,
        string inputField, HttpContext context);
}
