using System.CommandLine;
using Sift.Engine;
using Sift.Abstractions;
using Sift.Engine.LongDocuments;

namespace Sift.Cli.Commands;

/// <summary>--long-documents, --window-overlap, --max-windows and --max-window-tokens, as serve, embed and rerank take them.</summary>
internal sealed class LongDocumentFlags
{
    private LongDocumentFlags(Option<string?> strategy, Option<int?> overlap, Option<int> maxWindows, Option<int> maxTokens)
    {
        Strategy = strategy;
        Overlap = overlap;
        MaxWindows = maxWindows;
        MaxTokens = maxTokens;
        strategy.AcceptOnlyFromAmong("truncate", "chunk", "error");
    }

    public Option<string?> Strategy { get; }

    public Option<int?> Overlap { get; }

    public Option<int> MaxWindows { get; }

    public Option<int> MaxTokens { get; }

    public IEnumerable<Option> All => [Strategy, Overlap, MaxWindows, MaxTokens];

    private const string StrategyDescription = "Inputs over the length limit: truncate, chunk (read whole in overlapping windows; embeddings average them, "
        + "rerank keeps the best window's score) or error";

    private const string OverlapDescription = "Tokens consecutive windows share in chunk mode";

    private const string MaxWindowsDescription = "Most windows one input may take in chunk mode; a longer input is refused.";

    private const string MaxTokensDescription = "Most tokens one chunk-mode request may read, every window of every input counted; more is refused.";

    /// <summary>The flags of a one-shot command (embed, rerank).</summary>
    public static LongDocumentFlags ForCommand(string defaultStrategy) => new(
        new Option<string?>("--long-documents") { Description = $"{StrategyDescription} (default: {defaultStrategy})." },
        new Option<int?>("--window-overlap")
        {
            Description = $"{OverlapDescription}; smaller than the window (default: {WindowOptions.DefaultOverlap}, at most half the window).",
        },
        new Option<int>("--max-windows") { Description = MaxWindowsDescription, DefaultValueFactory = _ => WindowOptions.DefaultMaxWindows },
        new Option<int>("--max-window-tokens") { Description = MaxTokensDescription, DefaultValueFactory = _ => WindowOptions.DefaultMaxTokens });

    /// <summary>The flags of serve, whose defaults may come from SIFT_* variables or appsettings.json.</summary>
    public static LongDocumentFlags ForServe(ServeCommand.Settings settings) => new(
        settings.Option<string?>("--long-documents",
            $"{StrategyDescription}, unless a request says (long_document_strategy) (default: each route's own; embeddings refuse unless asked to truncate, rerank truncates).",
            null),
        settings.Option<int?>("--window-overlap",
            $"{OverlapDescription} when a request gives none (window_overlap), at most half the window.", WindowOptions.DefaultOverlap),
        settings.Option("--max-windows", MaxWindowsDescription, WindowOptions.DefaultMaxWindows),
        settings.Option("--max-window-tokens", MaxTokensDescription, WindowOptions.DefaultMaxTokens));

    /// <summary>The strategy asked for; null when the flag is absent.</summary>
    public LongDocumentStrategy? StrategyValue(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        try
        {
            return result.GetValue(Strategy) is { } name ? LongDocumentStrategies.Parse(name, "--long-documents") : null;
        }
        catch (SiftRequestException e)
        {
            // Values from SIFT_LONG_DOCUMENTS or appsettings.json skip the parser's own check.
            throw new CliException(e.Message);
        }
    }

    /// <summary>
    /// The window settings, checked. A one-shot command's --window-overlap, when given, is the overlap
    /// asked for; serve's is the fallback of requests that give none.
    /// </summary>
    public WindowOptions Windows(ParseResult result, bool returnWindows = false)
    {
        ArgumentNullException.ThrowIfNull(result);
        var overlap = result.GetValue(Overlap);
        var maxWindows = result.GetValue(MaxWindows);
        var maxTokens = result.GetValue(MaxTokens);
        if (overlap < 0)
        {
            throw new CliException($"--window-overlap must be zero or more, got {overlap}");
        }
        if (maxWindows < 1)
        {
            throw new CliException($"--max-windows must be positive, got {maxWindows}");
        }
        if (maxTokens < 1)
        {
            throw new CliException($"--max-window-tokens must be positive, got {maxTokens}");
        }
        return new WindowOptions { Overlap = overlap, MaxWindows = maxWindows, MaxTokens = maxTokens, ReturnWindows = returnWindows };
    }
}
