using System.Diagnostics;
using System.Threading.Channels;
using Sift.Engine;
using Sift.Server.Metrics;

namespace Sift.Server.Scheduling;

/// <summary>
/// Dynamic batching for one embedding model: sequences from all concurrent requests wait in one
/// FIFO queue; a dedicated thread takes as many as fit the token budget, runs one forward pass,
/// and completes each sequence's task. Batches are block-diagonal, so a sequence's vector is the
/// same whatever it was batched with. Sequences of cancelled requests are dropped unrun.
/// </summary>
internal sealed class EmbeddingScheduler : IDisposable
{
    private readonly Channel<PendingSequence> _queue = Channel.CreateUnbounded<PendingSequence>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Embedder _embedder;
    private readonly int _maxBatchTokens;
    private readonly ServerMetrics _metrics;
    private readonly string _model;
    private readonly Thread _thread;

    public EmbeddingScheduler(Embedder embedder, string model, int maxBatchTokens, ServerMetrics metrics)
    {
        _embedder = embedder;
        _model = model;
        _maxBatchTokens = maxBatchTokens;
        _metrics = metrics;
        _thread = new Thread(Run) { IsBackground = true, Name = $"sift-batch-{model}" };
        _thread.Start();
    }

    /// <summary>Queues sequences and returns their pooled states (final-normalized, not L2-normalized), in order.</summary>
    public async Task<BatchResult> SubmitAsync(IReadOnlyList<int[]> sequences, CancellationToken cancellationToken)
    {
        var request = new ScheduledRequest();
        var pending = sequences.Select(s => new PendingSequence(s, request)).ToArray();
        using var registration = cancellationToken.Register(() =>
        {
            foreach (var item in pending)
            {
                item.Completion.TrySetCanceled(cancellationToken);
            }
        });
        _metrics.AddQueueDepth(_model, pending.Length);
        foreach (var item in pending)
        {
            if (!_queue.Writer.TryWrite(item))
            {
                throw new InvalidOperationException("the scheduler has stopped");
            }
        }
        var vectors = await Task.WhenAll(pending.Select(p => p.Completion.Task));
        return new BatchResult(vectors, pending.Max(p => p.QueuedMilliseconds), pending.Max(p => p.ComputeMilliseconds));
    }

    /// <summary>Stops taking work; sequences already queued are still computed.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _thread.Join();
    }

    private void Run()
    {
        var reader = _queue.Reader;
        var batch = new List<PendingSequence>();
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            var tokens = 0;
            while (reader.TryPeek(out var next))
            {
                if (next.Completion.Task.IsCompleted)
                {
                    reader.TryRead(out _);
                    _metrics.AddQueueDepth(_model, -1);
                    continue;
                }
                if (batch.Count > 0 && tokens + next.Tokens.Length > _maxBatchTokens)
                {
                    break;
                }
                reader.TryRead(out _);
                _metrics.AddQueueDepth(_model, -1);
                batch.Add(next);
                tokens += next.Tokens.Length;
            }
            if (batch.Count > 0)
            {
                Compute(batch, tokens);
            }
        }
    }

    private void Compute(List<PendingSequence> batch, int tokens)
    {
        var clock = Stopwatch.StartNew();
        foreach (var item in batch)
        {
            item.QueuedMilliseconds = Stopwatch.GetElapsedTime(item.Request.Enqueued).TotalMilliseconds;
        }
        var requests = batch.Select(p => p.Request).Distinct().ToArray();
        foreach (var request in requests)
        {
            _metrics.RecordQueueWait(_model, Stopwatch.GetElapsedTime(request.Enqueued).TotalSeconds);
        }
        using var spans = ComputeSpans.Start(_model, requests, batch.Count, tokens);
        try
        {
            var pooled = _embedder.ComputePooled(batch.Select(p => p.Tokens).ToArray());
            _metrics.RecordBatch(_model, batch.Count, tokens);
            _metrics.RecordCompute(_model, clock.Elapsed.TotalSeconds);
            var elapsed = clock.Elapsed.TotalMilliseconds;
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].ComputeMilliseconds = elapsed;
                batch[i].Completion.TrySetResult(pooled[i]);
            }
        }
        catch (Exception e)
        {
            spans?.Fail(e);
            foreach (var item in batch)
            {
                item.Completion.TrySetException(e);
            }
        }
    }

    private sealed class PendingSequence(int[] tokens, ScheduledRequest request)
    {
        public int[] Tokens { get; } = tokens;

        public ScheduledRequest Request { get; } = request;

        public TaskCompletionSource<float[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public double QueuedMilliseconds { get; set; }

        public double ComputeMilliseconds { get; set; }
    }
}

/// <summary>Vectors of one request and how long its sequences waited and computed.</summary>
internal sealed record BatchResult(float[][] Vectors, double QueueMilliseconds, double ComputeMilliseconds);
