using System.Diagnostics;
using System.Threading.Channels;
using Sift.Engine;
using Sift.Server.Errors;
using Sift.Server.Metrics;

namespace Sift.Server.Scheduling;

/// <summary>
/// Dynamic batching for one model: the sequences of all concurrent requests share forward passes.
/// A dedicated thread fills each pass under the token budget (each shared prefix counted once,
/// <see cref="BatchPlanner.BatchTokens"/>) by taking one sequence from each waiting request in
/// turn, oldest request first, so a small request joins the next pass instead of waiting behind a
/// large one. Batches are block-diagonal, so a sequence's result is the same whatever it was
/// batched with. Sequences of cancelled requests are dropped unrun; a pass whose requests have all
/// gone stops at its next chunk of tokens. When a drain expires (<see cref="Abort"/>), every
/// waiting request fails with 503 at once and the running pass stops too.
/// </summary>
internal sealed class ForwardScheduler : IDisposable
{
    /// <summary>The error code of a pass that ran out of memory (503): capacity, not a fault.</summary>
    public const string OverloadedCode = "overloaded";

    /// <summary>How long Dispose waits for the thread, twice: a pass stops within a layer once aborted.</summary>
    private static readonly TimeSpan DefaultJoinTimeout = TimeSpan.FromSeconds(10);

    private readonly Channel<PendingRequest> _queue = Channel.CreateUnbounded<PendingRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<IReadOnlyList<ModelSequence>, CancellationToken, float[][]> _run;
    private readonly int _maxBatchTokens;
    private readonly ServerMetrics _metrics;
    private readonly string _model;
    private readonly Thread _thread;
    private readonly TimeSpan _joinTimeout;
    private readonly CancellationTokenSource _abort = new();
    private readonly Lock _runningLock = new();
    private RunningBatch? _running;
    private Exception? _abortReason;

    public ForwardScheduler(string model, int maxBatchTokens, ServerMetrics metrics, Func<IReadOnlyList<ModelSequence>, CancellationToken, float[][]> run,
        TimeSpan? joinTimeout = null)
    {
        _model = model;
        _joinTimeout = joinTimeout ?? DefaultJoinTimeout;
        _maxBatchTokens = maxBatchTokens;
        _metrics = metrics;
        _run = run;
        _thread = new Thread(Run) { IsBackground = true, Name = $"sift-batch-{model}" };
        _thread.Start();
    }

    /// <summary>Queues sequences and returns their final hidden states, in order.</summary>
    /// <exception cref="ApiException">503 when the server stopped taking work or its drain expired.</exception>
    public async Task<BatchResult> SubmitAsync(IReadOnlyList<ModelSequence> sequences, CancellationToken cancellationToken)
    {
        var scheduled = new ScheduledRequest();
        var request = new PendingRequest(sequences.Select(s => new PendingSequence(s, scheduled)).ToArray());
        using var registration = cancellationToken.Register(() =>
        {
            foreach (var item in request.Sequences)
            {
                item.Completion.TrySetCanceled(cancellationToken);
            }
            StopAbandonedBatch();
        });
        // Counted before queuing (the thread may take them at once) and taken back if queuing fails:
        // the thread takes each queued sequence off the gauge exactly once.
        _metrics.AddQueueDepth(_model, request.Sequences.Length);
        if (!_queue.Writer.TryWrite(request))
        {
            _metrics.AddQueueDepth(_model, -request.Sequences.Length);
            throw _abortReason ?? ShuttingDown();
        }
        float[][] vectors;
        try
        {
            vectors = await Task.WhenAll(request.Sequences.Select(p => p.Completion.Task)).WaitAsync(_abort.Token);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw _abortReason ?? ShuttingDown();
        }
        return new BatchResult(vectors, request.Sequences.Max(p => p.QueuedMilliseconds), request.Sequences.Max(p => p.ComputeMilliseconds));
    }

    /// <summary>
    /// Fails every waiting and running request with <paramref name="reason"/> now, and stops the
    /// running pass at its next layer: the end of a drain that ran out of time.
    /// </summary>
    public void Abort(Exception reason)
    {
        _abortReason = reason;
        _queue.Writer.TryComplete();
        _abort.Cancel();
    }

    /// <summary>
    /// Whether the batching thread has ended, so no pass reads the model any more. False after
    /// <see cref="Dispose"/> only when a pass ignored the abort for both waits: the model is then
    /// not disposed (<see cref="StopThenFree"/>).
    /// </summary>
    public bool HasStopped => !_thread.IsAlive;

    /// <summary>
    /// <see cref="Dispose"/>, then frees <paramref name="model"/> unless a pass is still running: the
    /// model's Dispose waits for its running pass (the forward lock), so shutdown would hang for as
    /// long as that pass runs; the model is left to the OS instead.
    /// </summary>
    /// <returns>Whether the model was freed.</returns>
    public bool StopThenFree(IDisposable model)
    {
        Dispose();
        if (!HasStopped)
        {
            return false;
        }
        model.Dispose();
        return true;
    }

    /// <summary>
    /// Stops taking work; sequences already queued are still computed, for up to the join timeout,
    /// then the running pass is aborted and waited for once more.
    /// </summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        if (!_thread.Join(_joinTimeout))
        {
            Abort(ShuttingDown());
            _thread.Join(_joinTimeout);
        }
    }

    private static ApiException ShuttingDown() =>
        new(StatusCodes.Status503ServiceUnavailable, "the server is shutting down; retry on another instance", null, "shutting_down");

    private void Run()
    {
        var reader = _queue.Reader;
        var waiting = new List<PendingRequest>();
        var batch = new List<PendingSequence>();
        while (true)
        {
            if (waiting.Count == 0 && !reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                return;
            }
            while (reader.TryRead(out var arrived))
            {
                waiting.Add(arrived);
            }
            var tokens = Fill(waiting, batch);
            if (batch.Count > 0)
            {
                Compute(batch, tokens);
            }
        }
    }

    /// <summary>
    /// Fills <paramref name="batch"/> round-robin: one sequence from each waiting request in turn,
    /// oldest first, while it fits the budget (a pass always takes at least one sequence); drops
    /// sequences whose request has gone, and requests with nothing left. Returns the pass's tokens.
    /// </summary>
    private long Fill(List<PendingRequest> waiting, List<PendingSequence> batch)
    {
        batch.Clear();
        var prefixes = new HashSet<SharedPrefix>(ReferenceEqualityComparer.Instance);
        var tokens = 0L;
        var full = new HashSet<PendingRequest>();
        var added = true;
        while (added)
        {
            added = false;
            foreach (var request in waiting)
            {
                if (full.Contains(request) || !request.SkipFinished(this))
                {
                    continue;
                }
                var next = request.Sequences[request.Next];
                var cost = BatchPlanner.Cost(next.Sequence, prefixes);
                if (batch.Count > 0 && tokens + cost > _maxBatchTokens)
                {
                    full.Add(request);
                    continue;
                }
                request.Next++;
                _metrics.AddQueueDepth(_model, -1);
                batch.Add(next);
                tokens += cost;
                if (next.Sequence.Prefix is { } prefix)
                {
                    prefixes.Add(prefix);
                }
                added = true;
            }
        }
        waiting.RemoveAll(r => !r.SkipFinished(this));
        return tokens;
    }

    private void Compute(List<PendingSequence> batch, long tokens)
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
        using var spans = ComputeSpans.Start(_model, requests, batch.Count, (int)Math.Min(tokens, int.MaxValue));
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        lock (_runningLock)
        {
            _running = new RunningBatch(batch, cancellation);
        }
        try
        {
            var hidden = _run(batch.Select(p => p.Sequence).ToArray(), cancellation.Token);
            _metrics.RecordBatch(_model, batch.Count, (int)Math.Min(tokens, int.MaxValue));
            _metrics.RecordCompute(_model, clock.Elapsed.TotalSeconds);
            var elapsed = clock.Elapsed.TotalMilliseconds;
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].ComputeMilliseconds = elapsed;
                batch[i].Completion.TrySetResult(hidden[i]);
            }
        }
        catch (OperationCanceledException e) when (cancellation.IsCancellationRequested)
        {
            spans?.Fail(e);
            foreach (var item in batch)
            {
                item.Completion.TrySetException(_abortReason ?? ShuttingDown());
            }
        }
        catch (OutOfMemoryException e)
        {
            // Not a fault of the request or the model: this pass did not fit now. Its requests are told
            // to come back (503, Retry-After), and a search falls back ("reranker_overloaded").
            spans?.Fail(e);
            var overloaded = new ApiException(StatusCodes.Status503ServiceUnavailable,
                $"{_model} ran out of memory for a pass of {batch.Count} sequences ({e.Message}); retry shortly, or send fewer or shorter inputs", null, OverloadedCode);
            foreach (var item in batch)
            {
                item.Completion.TrySetException(overloaded);
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
        finally
        {
            lock (_runningLock)
            {
                _running = null;
            }
        }
    }

    /// <summary>Stops the running pass when every request it serves has gone.</summary>
    private void StopAbandonedBatch()
    {
        lock (_runningLock)
        {
            if (_running is { } running && running.Items.TrueForAll(i => i.Completion.Task.IsCompleted))
            {
                running.Cancellation.Cancel();
            }
        }
    }

    private sealed record RunningBatch(List<PendingSequence> Items, CancellationTokenSource Cancellation);

    /// <summary>One request's sequences, taken in order; <see cref="Next"/> is the first not yet taken.</summary>
    private sealed class PendingRequest(PendingSequence[] sequences)
    {
        public PendingSequence[] Sequences { get; } = sequences;

        public int Next { get; set; }

        /// <summary>Drops sequences whose request has gone (or all, once aborted); whether one is left to run.</summary>
        public bool SkipFinished(ForwardScheduler scheduler)
        {
            while (Next < Sequences.Length && (Sequences[Next].Completion.Task.IsCompleted || scheduler._abort.IsCancellationRequested))
            {
                Next++;
                scheduler._metrics.AddQueueDepth(scheduler._model, -1);
            }
            return Next < Sequences.Length;
        }
    }

    private sealed class PendingSequence(ModelSequence sequence, ScheduledRequest request)
    {
        public ModelSequence Sequence { get; } = sequence;

        /// <summary>The request's queue time and span, shared by its sequences.</summary>
        public ScheduledRequest Request { get; } = request;

        public TaskCompletionSource<float[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public double QueuedMilliseconds { get; set; }

        public double ComputeMilliseconds { get; set; }
    }
}
