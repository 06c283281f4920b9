using System.CommandLine;
using Sift.Engine;
using Sift.Abstractions;
using Sift.Engine.LongDocuments;

namespace Sift.Cli.Commands;

/// <summary>--long-documents, --window-overlap and --max-windows, as serve, embed and rerank take them.</summary>
internal sealed class LongDocumentFlags
{
    private LongDocumentFlags(Option<string?> strategy, Option<int> overlap, Option<int> maxWindows)
    {
        Strategy = strategy;
        Overlap = overlap;
        MaxWindows = maxWindows;
        strategy.AcceptOnlyFromAmong("truncate", "chunk", "error");
    }

    public Option<string?> Strategy { get; }

    public Option<int> Overlap { get; }

    public Option<int> MaxWindows { get; }

    public IEnumerable<Option> All => [Strategy, Overlap, MaxWindows];

    private const string StrategyDescription = "Inputs over the length limit: truncate, chunk (read whole in overlapping windows; embeddings average them, "
        + "rerank keeps the best window's score) or error";

    private const string OverlapDescription = "Tokens consecutive windows share in chunk mode; smaller than the window.";

    private const string MaxWindowsDescription = "Most windows one input may take in chunk mode; a longer input is refused.";

    /// <summary>The flags of a one-shot command (embed, rerank).</summary>
    public static LongDocumentFlags ForCommand(string defaultStrategy) => new(
        new Option<string?>("--long-documents") { Description = $"{StrategyDescription} (default: {defaultStrategy})." },
        new Option<int>("--window-overlap") { Description = OverlapDescription, DefaultValueFactory = _ => WindowOptions.DefaultOverlap },
        new Option<int>("--max-windows") { Description = MaxWindowsDescription, DefaultValueFactory = _ => WindowOptions.DefaultMaxWindows });

    /// <summary>The flags of serve, whose defaults may come from SIFT_* variables or appsettings.json.</summary>
    public static LongDocumentFlags ForServe(ServeCommand.Settings settings) => new(
        settings.Option<string?>("--long-documents",
            $"{StrategyDescription}, unless a request says (long_document_strategy) (default: each route's own; embeddings refuse unless asked to truncate, rerank truncates).",
            null),
        settings.Option("--window-overlap", OverlapDescription + " Per request: window_overlap.", WindowOptions.DefaultOverlap),
        settings.Option("--max-windows", MaxWindowsDescription, WindowOptions.DefaultMaxWindows));

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

    /// <summary>The window settings, checked.</summary>
    public WindowOptions Windows(ParseResult result, bool returnWindows = false)
    {
        ArgumentNullException.ThrowIfNull(result);
        var overlap = result.GetValue(Overlap);
        var maxWindows = result.GetValue(MaxWindows);
        if (overlap < 0)
        {
            throw new CliException($"--window-overlap must be zero or more, got {overlap}");
        }
        if (maxWindows < 1)
        {
            throw new CliException($"--max-windows must be positive, got {maxWindows}");
        }
        return new WindowOptions { Overlap = overlap, MaxWindows = maxWindows, ReturnWindows = returnWindows };
    }
}
