using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Sift.Kernels;

/// <summary>
/// A fixed set of compute threads that run the items of one parallel loop at a time; the calling
/// thread works too. Threads are created once: a forward pass runs a few hundred loops, and
/// creating threads or queueing to the shared thread pool per loop would cost more than the
/// smaller loops themselves. Waiting workers spin briefly, then sleep on a semaphore.
/// </summary>
public sealed unsafe class WorkerPool : IDisposable
{
    /// <summary>
    /// How long a worker spins for the next loop before sleeping (200 µs): the gap between two
    /// kernels of one forward pass is a few microseconds, much less than a sleep and wake-up
    /// (50+ µs); longer spins steal the core from everything else between forward passes
    /// (measured: a 2 ms spin halved a server's request rate on the tiny fixture model).
    /// </summary>
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 5000;

    /// <summary>How long a waiting worker spins before it sleeps (tests time loops around it).</summary>
    internal static TimeSpan WorkerSpinTime => TimeSpan.FromSeconds((double)SpinTicks / System.Diagnostics.Stopwatch.Frequency);

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _wake;
    private readonly ScratchMemory[] _scratch;
    private readonly ScratchMemory _shared = new();
    private readonly object _loopLock = new();
    private delegate*<void*, int, int, void> _invoke;
    private void* _body;
    private int _itemCount;
    private int _nextItem;
    private int _running;
    private volatile int _generation;
    private volatile bool _disposed;
    private ExceptionDispatchInfo? _failure;

    /// <summary>Creates a pool of <paramref name="threadCount"/> threads in all, the caller included.</summary>
    public WorkerPool(int threadCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threadCount, 1);
        ThreadCount = threadCount;
        _scratch = Enumerable.Range(0, threadCount).Select(_ => new ScratchMemory()).ToArray();
        _wake = Enumerable.Range(1, threadCount - 1).Select(_ => new SemaphoreSlim(0)).ToArray();
        _threads = new Thread[threadCount - 1];
        for (var i = 0; i < _threads.Length; i++)
        {
            var worker = i + 1;
            _threads[i] = new Thread(() => WorkerLoop(worker)) { IsBackground = true, Name = $"sift-compute-{worker}" };
            _threads[i].Start();
        }
    }

    /// <summary>A pool with one thread per processor.</summary>
    public static WorkerPool Shared { get; } = new(Environment.ProcessorCount);

    /// <summary>Threads in the pool, the calling thread included.</summary>
    public int ThreadCount { get; }

    /// <summary>Runs <c>body.Execute(i, worker)</c> for i in [0, count) across the pool and returns when all are done.</summary>
    internal void For<TBody>(int count, ref TBody body) where TBody : struct, IParallelBody
    {
        if (count <= 0)
        {
            return;
        }
        // One loop at a time, the single-item and single-thread ones too: the caller runs as
        // worker 0 and uses worker 0's scratch, which another caller's loop may be using.
        lock (_loopLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (count == 1 || ThreadCount == 1)
            {
                for (var i = 0; i < count; i++)
                {
                    body.Execute(i, 0);
                }
                return;
            }
            // The workers reach the body through a raw pointer, which the collector does not update:
            // a body inside a heap object could move mid-loop. A copy on this frame's stack cannot.
            var local = body;
            _invoke = &Invoke<TBody>;
            _body = Unsafe.AsPointer(ref local);
            _itemCount = count;
            _nextItem = 0;
            _failure = null;
            _running = _threads.Length;
            _generation++;
            // A full fence between publishing the generation and reading the semaphores' counts. Without
            // it the store can wait in this core's store buffer while the count is read (x86 reorders a
            // store with a later load): this thread sees a count left from an earlier loop and releases
            // nothing, while the worker consumes that count, still reads the old generation and sleeps
            // with this loop's items unclaimed, and this thread waits for it forever.
            Interlocked.MemoryBarrier();
            foreach (var semaphore in _wake)
            {
                if (semaphore.CurrentCount == 0)
                {
                    semaphore.Release();
                }
            }
            RunItems(0);
            var spinner = new SpinWait();
            while (Volatile.Read(ref _running) > 0)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }
            _body = null;
            _failure?.Throw();
        }
    }

    /// <summary>
    /// Scratch memory for data every worker reads during the next loops (such as quantized
    /// activations), 64-byte aligned, reused across calls. Hold <see cref="SharedScratchLock"/>
    /// from taking it until the last loop that reads it: two callers (two models) share one pool.
    /// </summary>
    internal byte* SharedScratch(long bytes)
    {
        if (!SharedScratchLock.IsHeldByCurrentThread)
        {
            throw new InvalidOperationException("take SharedScratchLock before using the shared scratch");
        }
        return _shared.Get(bytes);
    }

    /// <summary>Guards <see cref="SharedScratch"/> across the loops of one operation.</summary>
    internal Lock SharedScratchLock { get; } = new();

    /// <summary>Per-thread scratch memory of at least <paramref name="bytes"/> bytes, 64-byte aligned, reused across loops.</summary>
    internal byte* Scratch(int worker, long bytes) => _scratch[worker].Get(bytes);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (var semaphore in _wake)
        {
            semaphore.Release();
        }
        foreach (var thread in _threads)
        {
            thread.Join();
        }
        foreach (var scratch in _scratch)
        {
            scratch.Dispose();
        }
        _shared.Dispose();
    }

    private static void Invoke<TBody>(void* body, int index, int worker) where TBody : struct, IParallelBody =>
        Unsafe.AsRef<TBody>(body).Execute(index, worker);

    private void RunItems(int worker)
    {
        try
        {
            int index;
            while ((index = Interlocked.Increment(ref _nextItem) - 1) < _itemCount)
            {
                _invoke(_body, index, worker);
            }
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
            // Let the other threads stop early: no item after a failure matters.
            Volatile.Write(ref _nextItem, int.MaxValue / 2);
        }
    }

    private void WorkerLoop(int worker)
    {
        var seen = 0;
        while (true)
        {
            var spinUntil = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
            while (_generation == seen && !_disposed)
            {
                if (System.Diagnostics.Stopwatch.GetTimestamp() < spinUntil)
                {
                    Thread.SpinWait(20);
                }
                else
                {
                    // A release that raced with the check above leaves a count, so no wake-up is lost;
                    // the fence pairs with For's: the generation is read after the count was taken.
                    _wake[worker - 1].Wait();
                    Interlocked.MemoryBarrier();
                }
            }
            if (_generation == seen)
            {
                // Disposed with no loop waiting for this worker. A loop published before the dispose
                // is still run below, so that its caller is not left waiting for this worker forever.
                return;
            }
            seen = _generation;
            RunItems(worker);
            Interlocked.Decrement(ref _running);
        }
    }

    private sealed class ScratchMemory : IDisposable
    {
        private byte* _memory;
        private long _capacity;

        public byte* Get(long bytes)
        {
            if (bytes > _capacity)
            {
                // Allocate before freeing: if the allocation throws, the old block and capacity stay valid.
                var grown = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)bytes, 64);
                System.Runtime.InteropServices.NativeMemory.AlignedFree(_memory);
                _memory = grown;
                _capacity = bytes;
            }
            return _memory;
        }

        public void Dispose()
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(_memory);
            _memory = null;
            _capacity = 0;
        }
    }
}
