using System.Diagnostics;
using Sift.Server.Metrics;
using StackExchange.Redis;

namespace Sift.Server.Caching;

/// <summary>
/// Every call to Redis goes through here, so that a Redis that is down or slow never fails or
/// stalls a request: each call has a deadline (<see cref="CacheOptions.RedisTimeout"/>), a failure
/// is counted by kind and turns into "not cached", the first failure of an outage is logged once
/// (and the recovery once), and while Redis is away calls skip it, one probe a second excepted.
/// </summary>
internal sealed partial class RedisGuard(RedisConnection connection, CacheOptions options, ServerMetrics metrics, ILogger<RedisGuard> logger)
{
    /// <summary>While Redis is away, one call in this interval tries it; the others skip it at no cost.</summary>
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private long _downSince;
    private long _nextProbe;
    private long _failuresThisOutage;

    /// <summary>
    /// Runs <paramref name="call"/> against Redis within the deadline. Returns false (never throws)
    /// when Redis is away, slow or failing; only the caller's own cancellation propagates.
    /// </summary>
    /// <param name="operation">"read" or "write", the metric's label.</param>
    /// <param name="call">The Redis call.</param>
    /// <param name="cancellationToken">The request's cancellation.</param>
    public async Task<(bool Succeeded, T? Value)> TryAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        // Until the first connection attempt ends the cache is simply not there yet (RedisCache would block on it).
        if (connection.Current is null || !ShouldTry())
        {
            metrics.RecordCacheError(operation, "unavailable");
            return (false, default);
        }
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(options.RedisTimeout);
            // WaitAsync enforces the deadline even where the client checks its own timeouts only once a heartbeat.
            var value = await call(deadline.Token).WaitAsync(options.RedisTimeout, cancellationToken);
            Succeeded(started);
            return (true, value);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            Failed(operation, e);
            return (false, default);
        }
    }

    private bool ShouldTry()
    {
        lock (_lock)
        {
            if (_downSince == 0)
            {
                return true;
            }
            var now = Stopwatch.GetTimestamp();
            if (now < _nextProbe)
            {
                return false;
            }
            _nextProbe = now + (long)(ProbeInterval.TotalSeconds * Stopwatch.Frequency);
            return true;
        }
    }

    /// <summary>A call that began at <paramref name="started"/> succeeded: the outage is over, unless the call began before it.</summary>
    private void Succeeded(long started)
    {
        long downSince, failures;
        lock (_lock)
        {
            // A reply to a call sent before the outage began (say a write answered just before Redis stopped,
            // its continuation run late) says nothing about Redis now.
            if (_downSince == 0 || started < _downSince)
            {
                return;
            }
            (downSince, failures) = (_downSince, _failuresThisOutage);
            _downSince = 0;
            _failuresThisOutage = 0;
        }
        LogBack(logger, options.RedisEndpoint!, Stopwatch.GetElapsedTime(downSince).TotalSeconds, failures);
    }

    private void Failed(string operation, Exception e)
    {
        var kind = e switch
        {
            TimeoutException or OperationCanceledException => "timeout",
            RedisConnectionException => "connection",
            _ => "other",
        };
        metrics.RecordCacheError(operation, kind);
        bool first;
        lock (_lock)
        {
            var now = Stopwatch.GetTimestamp();
            first = _downSince == 0;
            if (first)
            {
                _downSince = now;
            }
            _failuresThisOutage++;
            _nextProbe = now + (long)(ProbeInterval.TotalSeconds * Stopwatch.Frequency);
        }
        if (first)
        {
            // The client's messages go on with its internal state after the first ';': the reason is before it.
            LogDown(logger, options.RedisEndpoint!, kind, e.Message.Split(';', 2)[0]);
        }
    }

    [LoggerMessage(EventId = 60, Level = LogLevel.Warning,
        Message = "Redis at {Endpoint} is unavailable ({Kind}: {Reason}); requests compute without the shared cache until it answers again")]
    private static partial void LogDown(ILogger logger, string endpoint, string kind, string reason);

    [LoggerMessage(EventId = 61, Level = LogLevel.Information, Message = "Redis at {Endpoint} answers again after {Seconds:F1} s ({Failures} cache calls fell back to computing)")]
    private static partial void LogBack(ILogger logger, string endpoint, double seconds, long failures);
}
