using System.Collections.Concurrent;
using Sift.Engine;
using Sift.Server.Errors;
using Sift.Server.Metrics;
using Sift.Server.Scheduling;

namespace Sift.Tests.Server;

/// <summary>
/// The batching policy, with a pass that records what it was given and can be held open: which
/// sequences share a pass, in what order, and what a cancelled or drained request leaves behind.
/// (The real model behind it is tested through HTTP in ServerConcurrencyTests.)
/// </summary>
public sealed class ForwardSchedulerTests : IDisposable
{
    private readonly Sift.Telemetry.SiftTelemetry _telemetry = new();
    private readonly ServerMetrics _metrics;
    private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
    private int _queueDepth;

    public ForwardSchedulerTests()
    {
        _metrics = new ServerMetrics(_telemetry);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument, _telemetry.QueueDepth))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, change, _, _) => Interlocked.Add(ref _queueDepth, change));
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _telemetry.Dispose();
    }
    private readonly ConcurrentQueue<(ModelSequence[] Batch, CancellationToken Token)> _passes = new();
    private readonly SemaphoreSlim _firstPassEntered = new(0);
    private readonly SemaphoreSlim _releaseFirstPass = new(0);
    private int _passCount;

    private ForwardScheduler Scheduler(int maxBatchTokens) => new("m", maxBatchTokens, _metrics, (batch, token) =>
    {
        _passes.Enqueue((batch.ToArray(), token));
        if (Interlocked.Increment(ref _passCount) == 1)
        {
            _firstPassEntered.Release();
            _releaseFirstPass.Wait(TestContext.Current.CancellationToken);
        }
        token.ThrowIfCancellationRequested();
        return batch.Select(s => new[] { (float)s.Tokens[0] }).ToArray();
    });

    private static ModelSequence[] Sequences(int first, int count, int length, SharedPrefix? prefix = null) =>
        Enumerable.Range(first, count).Select(i => new ModelSequence(Enumerable.Repeat(i, length).ToArray(), prefix)).ToArray();

    [Fact]
    public async Task SmallRequestAfterALargeOne_JoinsTheNextPass()
    {
        using var scheduler = Scheduler(maxBatchTokens: 400);
        var large = scheduler.SubmitAsync(Sequences(0, 20, 100), CancellationToken.None);
        await _firstPassEntered.WaitAsync(TestContext.Current.CancellationToken);
        var small = scheduler.SubmitAsync(Sequences(1000, 1, 100), CancellationToken.None);
        _releaseFirstPass.Release();

        var smallResult = await small;
        Assert.False(large.IsCompleted, "the small request waited for the whole large one");
        await large;
        var passes = _passes.ToArray();
        // Pass 1: four of the large request's; pass 2 takes the small one's with three more of the large.
        Assert.Equal([0, 1, 2, 3], passes[0].Batch.Select(s => s.Tokens[0]));
        Assert.Contains(1000, passes[1].Batch.Select(s => s.Tokens[0]));
        Assert.Equal(1000f, smallResult.Vectors[0][0]);
        Assert.All(passes, p => Assert.True(BatchPlanner.BatchTokens(p.Batch) <= 400));
    }

    [Fact]
    public async Task Passes_CountEachSharedPrefixOnce()
    {
        using var scheduler = Scheduler(maxBatchTokens: 1000);
        // A first pass held open, so that both requests are waiting when the next pass is planned
        // (otherwise the thread may take the first request alone before the second is queued).
        var blocker = scheduler.SubmitAsync(Sequences(500, 1, 10), CancellationToken.None);
        await _firstPassEntered.WaitAsync(TestContext.Current.CancellationToken);
        var first = new SharedPrefix(Enumerable.Repeat(7, 300).ToArray());
        var second = new SharedPrefix(Enumerable.Repeat(8, 300).ToArray());
        var requests = Task.WhenAll(scheduler.SubmitAsync(Sequences(0, 6, 50, first), CancellationToken.None),
            scheduler.SubmitAsync(Sequences(100, 6, 50, second), CancellationToken.None));
        _releaseFirstPass.Release();
        await Task.WhenAll(blocker, requests);
        var passes = _passes.Skip(1).ToArray();
        Assert.All(passes, p => Assert.True(BatchPlanner.BatchTokens(p.Batch) <= 1000, $"{BatchPlanner.BatchTokens(p.Batch)} tokens"));
        // Two prefixes of 300 and 50-token documents: 400 tokens of documents fit beside them in a pass.
        Assert.Contains(passes, p => p.Batch.Length == 8);
    }

    [Fact]
    public async Task CancelledRequest_StopsItsPassAndRunsNothingMore()
    {
        using var scheduler = Scheduler(maxBatchTokens: 200);
        using var cancel = new CancellationTokenSource();
        var request = scheduler.SubmitAsync(Sequences(0, 10, 100), cancel.Token);
        await _firstPassEntered.WaitAsync(TestContext.Current.CancellationToken);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        // The pass still running had only this request's sequences: it is told to stop.
        Assert.True(_passes.Single().Token.IsCancellationRequested);
        _releaseFirstPass.Release();

        _passes.Clear();
        await scheduler.SubmitAsync(Sequences(50, 1, 10), CancellationToken.None);
        Assert.Equal(50, Assert.Single(Assert.Single(_passes).Batch).Tokens[0]);
        Assert.Equal(0, Volatile.Read(ref _queueDepth));
    }

    [Fact]
    public async Task Abort_AnswersEveryWaitingRequest503AtOnce()
    {
        using var scheduler = Scheduler(maxBatchTokens: 100);
        var running = scheduler.SubmitAsync(Sequences(0, 3, 100), CancellationToken.None);
        await _firstPassEntered.WaitAsync(TestContext.Current.CancellationToken);
        var queued = scheduler.SubmitAsync(Sequences(10, 3, 100), CancellationToken.None);

        scheduler.Abort(new ApiException(503, "draining", null, "shutting_down"));

        Assert.Equal(503, (await Assert.ThrowsAsync<ApiException>(() => running)).Status);
        Assert.Equal(503, (await Assert.ThrowsAsync<ApiException>(() => queued)).Status);
        Assert.True(_passes.Single().Token.IsCancellationRequested);
        var late = await Assert.ThrowsAsync<ApiException>(() => scheduler.SubmitAsync(Sequences(20, 1, 10), CancellationToken.None));
        Assert.Equal("shutting_down", late.Code);
        _releaseFirstPass.Release();
    }

    [Fact]
    public async Task SubmitAfterStop_Is503AndLeavesTheQueueGaugeAtZero()
    {
        var scheduler = Scheduler(maxBatchTokens: 100);
        scheduler.Dispose();
        var error = await Assert.ThrowsAsync<ApiException>(() => scheduler.SubmitAsync(Sequences(0, 5, 10), CancellationToken.None));
        Assert.Equal(503, error.Status);
        Assert.Equal(0, Volatile.Read(ref _queueDepth));
    }

    [Fact]
    public async Task PassOutOfMemory_Is503Overloaded_AndTheNextPassServes()
    {
        var passes = 0;
        using var scheduler = new ForwardScheduler("m", 100, _metrics, (batch, _) =>
            Interlocked.Increment(ref passes) == 1 ? throw new OutOfMemoryException("no room for the activations") : batch.Select(s => new[] { 1f }).ToArray());

        var error = await Assert.ThrowsAsync<ApiException>(() => scheduler.SubmitAsync(Sequences(0, 2, 10), CancellationToken.None));
        var served = await scheduler.SubmitAsync(Sequences(5, 1, 10), CancellationToken.None);

        Assert.Equal((503, ForwardScheduler.OverloadedCode), (error.Status, error.Code));
        Assert.Contains("out of memory", error.Message, StringComparison.Ordinal);
        Assert.Single(served.Vectors);
    }

    [Fact]
    public async Task PassThatThrows_PropagatesTheFault_ItIsNotCalledAnAvailabilityProblem()
    {
        using var scheduler = new ForwardScheduler("m", 100, _metrics, (_, _) => throw new InvalidOperationException("a bug in the pass"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => scheduler.SubmitAsync(Sequences(0, 1, 10), CancellationToken.None));

        Assert.Equal("a bug in the pass", error.Message);
    }

    [Fact]
    public async Task StopThenFree_APassThatIgnoresTheAbort_KeepsTheModel_UntilThePassEnds()
    {
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        // A pass that does not look at its cancellation token (a stuck native call, say) and only
        // returns when the test releases it: both of Dispose's waits run out while it holds the model.
        var scheduler = new ForwardScheduler("m", 100, _metrics, (batch, _) =>
        {
            entered.Set();
            release.Wait();
            return batch.Select(s => new[] { 1f }).ToArray();
        }, joinTimeout: TimeSpan.FromMilliseconds(50));
        var model = new DisposalRecorder();
        var pending = scheduler.SubmitAsync(Sequences(0, 1, 10), CancellationToken.None);
        Assert.True(entered.Wait(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken), "the pass never started");

        var freed = scheduler.StopThenFree(model);

        Assert.False(freed);
        Assert.False(model.Disposed, "the model was disposed (which waits for the running pass) instead of being left to the OS");
        Assert.False(scheduler.HasStopped);
        var error = await Assert.ThrowsAsync<ApiException>(() => pending);
        Assert.Equal((503, "shutting_down"), (error.Status, error.Code));
        release.Set();
        Assert.True(SpinWait.SpinUntil(() => scheduler.HasStopped, TimeSpan.FromSeconds(30)), "the batching thread did not end after its pass returned");
    }

    [Fact]
    public async Task StopThenFree_AfterQueuedWorkFinishes_FreesTheModel()
    {
        var scheduler = new ForwardScheduler("m", 100, _metrics, (batch, _) => batch.Select(s => new[] { 1f }).ToArray());
        var model = new DisposalRecorder();
        var served = await scheduler.SubmitAsync(Sequences(0, 2, 10), CancellationToken.None);

        var freed = scheduler.StopThenFree(model);

        Assert.True(freed);
        Assert.True(model.Disposed);
        Assert.True(scheduler.HasStopped);
        Assert.Equal(2, served.Vectors.Length);
    }

    private sealed class DisposalRecorder : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
