using Microsoft.Extensions.Logging;

namespace Sift.Retrieval;

/// <summary>
/// The reranker's outages as search pipelines log them: the first fallback of an outage (per
/// reason) is logged with its detail and, for a fault, its exception; the rest of that outage is
/// only counted (the server's sift_search_fallback_total counts every one); when the reranker
/// answers again one line says how many searches fell back meanwhile. At hundreds of searches a
/// second, one stack trace per search would bury the log. A server shares one instance across its
/// pipelines (they are built per search).
/// </summary>
public sealed partial class RerankOutage
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _fallbacks = new(StringComparer.Ordinal);

    /// <summary>A search fell back for <paramref name="reason"/>: logged when it starts an outage of that reason, counted otherwise.</summary>
    public void FellBack(ILogger logger, string collection, string reason, string detail, Exception? exception)
    {
        ArgumentNullException.ThrowIfNull(logger);
        lock (_lock)
        {
            var count = _fallbacks.GetValueOrDefault(reason);
            _fallbacks[reason] = count + 1;
            if (count > 0)
            {
                return;
            }
        }
        if (exception is null)
        {
            LogFellBack(logger, collection, reason, detail);
        }
        else
        {
            LogRerankerFailed(logger, exception, collection, reason, detail);
        }
    }

    /// <summary>The reranker answered a search: ends every outage in progress, with one line each.</summary>
    public void Answered(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        KeyValuePair<string, long>[] ended;
        lock (_lock)
        {
            if (_fallbacks.Count == 0)
            {
                return;
            }
            ended = [.. _fallbacks];
            _fallbacks.Clear();
        }
        foreach (var (reason, count) in ended)
        {
            LogRecovered(logger, reason, count);
        }
    }

    [LoggerMessage(EventId = 80, Level = LogLevel.Warning,
        Message = "search in {Collection} answered in first-stage order: {Reason} ({Detail}); until the reranker answers again, such fallbacks are only counted")]
    private static partial void LogFellBack(ILogger logger, string collection, string reason, string detail);

    [LoggerMessage(EventId = 81, Level = LogLevel.Error,
        Message = "search in {Collection} answered in first-stage order: {Reason} ({Detail}); until the reranker answers again, such fallbacks are only counted")]
    private static partial void LogRerankerFailed(ILogger logger, Exception exception, string collection, string reason, string detail);

    [LoggerMessage(EventId = 82, Level = LogLevel.Information, Message = "the reranker answers searches again; {Count} fell back meanwhile ({Reason})")]
    private static partial void LogRecovered(ILogger logger, string reason, long count);
}
