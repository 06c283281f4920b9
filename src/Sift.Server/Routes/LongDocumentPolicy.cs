using Sift.Engine;
using Sift.Abstractions;
using Sift.Engine.LongDocuments;

namespace Sift.Server.Routes;

/// <summary>What one request does with inputs over the limit: the strategy, and the windows when it is chunk.</summary>
/// <param name="Strategy">Truncate, chunk or error.</param>
/// <param name="Windows">Overlap, most windows, whether to answer them; used in chunk mode only.</param>
internal sealed record LongDocumentPolicy(LongDocumentStrategy Strategy, WindowOptions Windows)
{
    /// <summary>The windows when the strategy is chunk; null otherwise.</summary>
    public WindowOptions? ChunkWindows => Strategy == LongDocumentStrategy.Chunk ? Windows : null;

    /// <summary>Whether the answer should carry each window's result.</summary>
    public bool ReturnWindows => ChunkWindows is { ReturnWindows: true };

    /// <summary>Everything in the policy a result depends on, for cache keys.</summary>
    public string Key => ChunkWindows?.Key ?? LongDocumentStrategies.Name(Strategy);

    /// <summary>
    /// Reads long_document_strategy, window_overlap and return_windows. The strategy is the
    /// request's, else the server's --long-documents, else the route's own default; overlap and
    /// the windows' answer only make sense in chunk mode, so outside it they are refused.
    /// </summary>
    /// <param name="body">The request.</param>
    /// <param name="options">The server's --long-documents, --window-overlap, --max-windows.</param>
    /// <param name="routeDefault">What the route did before strategies existed.</param>
    public static LongDocumentPolicy Read(JsonBody body, Hosting.ServerOptions options, LongDocumentStrategy routeDefault)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(options);
        var strategy = body.OptionalString("long_document_strategy") is { } name
            ? LongDocumentStrategies.Parse(name, "long_document_strategy")
            : options.LongDocuments ?? routeDefault;
        var overlap = body.OptionalInt("window_overlap");
        var returnWindows = body.OptionalBool("return_windows") ?? false;
        if (strategy != LongDocumentStrategy.Chunk && (overlap is not null || returnWindows))
        {
            throw new SiftRequestException(
                $"'{(overlap is not null ? "window_overlap" : "return_windows")}' applies to \"long_document_strategy\": \"chunk\"; this request's strategy is \"{LongDocumentStrategies.Name(strategy)}\"",
                overlap is not null ? "window_overlap" : "return_windows");
        }
        // The request's overlap is held to the window; the server's is a fallback, capped at half of each window.
        var windows = new WindowOptions
        {
            Overlap = overlap,
            FallbackOverlap = options.WindowOverlap,
            MaxWindows = options.MaxWindows,
            MaxTokens = options.MaxWindowTokens,
            ReturnWindows = returnWindows,
        }.Validate();
        return new LongDocumentPolicy(strategy, windows);
    }

    /// <summary>The embedding options of this policy: chunk windows documents and cuts or refuses queries as <paramref name="truncateQueries"/> says.</summary>
    public EmbedOptions Apply(EmbedOptions options, bool truncateQueries) => options with
    {
        Truncate = Strategy switch
        {
            LongDocumentStrategy.Truncate => true,
            LongDocumentStrategy.Error => false,
            _ => truncateQueries,
        },
        Windows = ChunkWindows,
    };
}
