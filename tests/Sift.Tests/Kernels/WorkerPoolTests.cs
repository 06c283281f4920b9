using Sift.Kernels;

namespace Sift.Tests.Kernels;

public sealed class WorkerPoolTests
{
    [Fact]
    public async Task SingleItemLoop_WaitsForAnotherCallersLoop()
    {
        // Two models share a pool; a one-item loop runs on the caller as worker 0, whose scratch the
        // other caller's loop may be using at that moment, so it must wait its turn.
        using var pool = new WorkerPool(2);
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var state = new LoopState();
        var blocking = new BlockingBody(state, entered, release);
        var first = Task.Run(() => pool.For(2, ref blocking), TestContext.Current.CancellationToken);
        Assert.True(entered.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken), "the first loop never started");

        var recording = new RecordingBody(state);
        var second = Task.Run(() => pool.For(1, ref recording), TestContext.Current.CancellationToken);
        await Task.Delay(200, TestContext.Current.CancellationToken);
        release.Set();
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Equal(1, state.SecondLoopRuns);
        Assert.False(state.SecondRanDuringFirst, "the one-item loop ran while the other loop held the workers");
    }

    private sealed class LoopState
    {
        public volatile bool FirstActive;
        public volatile bool SecondRanDuringFirst;
        public int SecondLoopRuns;
        public int FirstItemsLeft = 2;
    }

    private readonly struct BlockingBody(LoopState state, ManualResetEventSlim entered, ManualResetEventSlim release) : IParallelBody
    {
        public void Execute(int index, int worker)
        {
            state.FirstActive = true;
            entered.Set();
            release.Wait(TimeSpan.FromSeconds(10));
            if (Interlocked.Decrement(ref state.FirstItemsLeft) == 0)
            {
                state.FirstActive = false;
            }
        }
    }

    private readonly struct RecordingBody(LoopState state) : IParallelBody
    {
        public void Execute(int index, int worker)
        {
            state.SecondRanDuringFirst |= state.FirstActive;
            Interlocked.Increment(ref state.SecondLoopRuns);
        }
    }
}
