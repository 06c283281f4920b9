using System.Diagnostics;
using System.Threading.Channels;
using Sift.Engine;
using Sift.Server.Metrics;

namespace Sift.Server.Scheduling;

/// <summary>
/// Queues rerank requests for one model and runs them one after another on a dedicated thread.
/// A request is the unit: its documents share the query's prefix (computed once) and are packed
/// into forward passes under the token budget, which is where a rerank request's batching pays.
/// </summary>
internal sealed class RerankScheduler : IDisposable
{
    private readonly Channel<PendingRequest> _queue = Channel.CreateUnbounded<PendingRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Reranker _reranker;
    private readonly ServerMetrics _metrics;
    private readonly string _model;
    private readonly Thread _thread;

    public RerankScheduler(Reranker reranker, string model, ServerMetrics metrics)
    {
        _reranker = reranker;
        _model = model;
        _metrics = metrics;
        _thread = new Thread(Run) { IsBackground = true, Name = $"sift-rerank-{model}" };
        _thread.Start();
    }

    /// <summary>Final hidden states of each prompt of one request, in order.</summary>
    public async Task<BatchResult> SubmitAsync(string query, RerankOptions options, int[][] prompts, CancellationToken cancellationToken)
    {
        var pending = new PendingRequest(query, options, prompts);
        using var registration = cancellationToken.Register(() => pending.Completion.TrySetCanceled(cancellationToken));
        _metrics.AddQueueDepth(_model, prompts.Length);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("the scheduler has stopped");
        }
        var hidden = await pending.Completion.Task;
        return new BatchResult(hidden, pending.QueuedMilliseconds, pending.ComputeMilliseconds);
    }

    /// <summary>Stops taking work; requests already queued are still computed.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _thread.Join();
    }

    private void Run()
    {
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var request))
            {
                _metrics.AddQueueDepth(_model, -request.Prompts.Length);
                if (request.Completion.Task.IsCompleted)
                {
                    continue;
                }
                var queued = Stopwatch.GetElapsedTime(request.Scheduled.Enqueued);
                request.QueuedMilliseconds = queued.TotalMilliseconds;
                _metrics.RecordQueueWait(_model, queued.TotalSeconds);
                var tokens = request.Prompts.Sum(p => p.Length);
                var clock = Stopwatch.StartNew();
                using var spans = ComputeSpans.Start(_model, [request.Scheduled], request.Prompts.Length, tokens);
                try
                {
                    var hidden = _reranker.ComputeHidden(request.Query, request.Options, request.Prompts);
                    _metrics.RecordBatch(_model, request.Prompts.Length, tokens);
                    _metrics.RecordCompute(_model, clock.Elapsed.TotalSeconds);
                    request.ComputeMilliseconds = clock.Elapsed.TotalMilliseconds;
                    request.Completion.TrySetResult(hidden);
                }
                catch (Exception e)
                {
                    spans?.Fail(e);
                    request.Completion.TrySetException(e);
                }
            }
        }
    }

    private sealed class PendingRequest(string query, RerankOptions options, int[][] prompts)
    {
        public string Query { get; } = query;

        public RerankOptions Options { get; } = options;

        public int[][] Prompts { get; } = prompts;

        public TaskCompletionSource<float[][]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ScheduledRequest Scheduled { get; } = new();

        public double QueuedMilliseconds { get; set; }

        public double ComputeMilliseconds { get; set; }
    }
}
