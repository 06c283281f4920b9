using Microsoft.Extensions.Logging;

namespace Sift.Retrieval.Stores.Embedded;

/// <summary>
/// One collection's vector stage in the embedded store: every vector in a <see cref="VectorArena"/>
/// (exact scores and exact search) and, once the collection is large enough, an HNSW
/// <see cref="AnnIndex"/> over them. The index is derived data: built in the background (searches
/// stay exact meanwhile, and writes made during the build are replayed into it before it is used),
/// saved at shutdown, and loaded at start only when it matches the database's write version.
/// </summary>
internal sealed partial class CollectionVectors : IDisposable
{
    /// <summary>
    /// Below this many chunks an exact scan is about as fast as the graph and needs no build: at
    /// 1024 dimensions a top-100 query takes 0.5 ms exact over 4096 chunks against 0.9 ms through
    /// HNSW, and the scan's cost grows linearly past that (docs/benchmarks.md, "Retrieval").
    /// </summary>
    public const int ExactSearchMaxChunks = 8192;

    /// <summary>Vectors copied out of the arena per read lock while building, so writers never wait long.</summary>
    private const int BuildBatch = 1024;

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly VectorArena _arena;
    private readonly IndexFile _file;
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly int _exactSearchMaxChunks;
    private AnnIndex? _ann;
    private List<(long Key, bool Added)>? _pending;
    private Task _build = Task.CompletedTask;
    private long _writeVersion;
    private long _savedVersion = -1;
    private bool _disposed;

    public CollectionVectors(string name, int dimensions, long writeVersion, IndexFile file, ILogger logger, int exactSearchMaxChunks = ExactSearchMaxChunks)
    {
        _name = name;
        _arena = new VectorArena(dimensions);
        _file = file;
        _logger = logger;
        _writeVersion = writeVersion;
        _exactSearchMaxChunks = exactSearchMaxChunks;
    }

    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _arena.Count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Whether searches use the approximate index now.</summary>
    public bool UsesIndex => Volatile.Read(ref _ann) is not null;

    /// <summary>Completes when no index build is running (tests and benchmarks wait on it).</summary>
    public Task BuildCompletion => _build;

    /// <summary>Fills the arena at start-up, before any search.</summary>
    public void Load(long key, ReadOnlySpan<float> vector) => _arena.Add(key, vector);

    /// <summary>After loading: the saved index when it is current, else a background rebuild (with a log line saying why).</summary>
    public void Open()
    {
        if (_arena.Count < _exactSearchMaxChunks || AnnIndex.Unavailable is not null)
        {
            return;
        }
        var (index, problem) = _file.TryLoad(_writeVersion, _arena.Count);
        if (index is not null)
        {
            _ann = index;
            _savedVersion = _writeVersion;
            LogIndexLoaded(_logger, _name, _arena.Count);
            return;
        }
        LogIndexRebuilt(_logger, _name, problem!, _arena.Count);
        _lock.EnterWriteLock();
        try
        {
            StartBuild();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Applies a committed write: removed keys go, added vectors come, the write version moves.</summary>
    public void Apply(IReadOnlyList<long> removed, IReadOnlyList<(long Key, float[] Vector)> added, long writeVersion)
    {
        _lock.EnterWriteLock();
        try
        {
            foreach (var key in removed)
            {
                _arena.Remove(key);
                if (_ann?.Contains(key) == true)
                {
                    _ann.Remove(key);
                }
                _pending?.Add((key, false));
            }
            foreach (var (key, vector) in added)
            {
                _arena.Add(key, vector);
                _ann?.Add(key, vector);
                _pending?.Add((key, true));
            }
            _writeVersion = writeVersion;
            if (_ann is null && _pending is null && _arena.Count >= _exactSearchMaxChunks && AnnIndex.Unavailable is null)
            {
                StartBuild();
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// The <paramref name="k"/> best keys with exact scores. Exact over <paramref name="allowed"/> when
    /// given (a metadata filter), or when the collection is small or its index is not built yet;
    /// otherwise the index proposes candidates and the arena rescores them exactly.
    /// </summary>
    public VectorHit[] Search(float[] query, int k, IReadOnlySet<long>? allowed)
    {
        _lock.EnterReadLock();
        try
        {
            if (allowed is not null || _ann is null)
            {
                return _arena.Search(query, k, allowed);
            }
            var top = new TopK(k);
            foreach (var key in _ann.Search(query, k))
            {
                if (_arena.Contains(key))
                {
                    top.Offer(key, _arena.Score(key, query));
                }
            }
            return top.ToArray();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Saves the index when it changed since it was loaded or last saved (at shutdown). A build still
    /// running is not waited for: shutdown stays quick, and the next start builds again.
    /// </summary>
    public void Save()
    {
        if (!_build.IsCompleted)
        {
            return;
        }
        _lock.EnterReadLock();
        try
        {
            if (_ann is not null && _savedVersion != _writeVersion)
            {
                _file.Save(_ann, _writeVersion, _arena.Count);
                _savedVersion = _writeVersion;
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Stops a running build and frees the index. The lock itself stays usable: a search that found
    /// this collection just before it was deleted finishes with an exact scan instead of failing.
    /// </summary>
    public void Dispose()
    {
        _lock.EnterWriteLock();
        _disposed = true;
        _lock.ExitWriteLock();
        _build.Wait();
        _lock.EnterWriteLock();
        _ann?.Dispose();
        _ann = null;
        _lock.ExitWriteLock();
    }

    /// <summary>Starts a background build (the caller holds the write lock).</summary>
    private void StartBuild()
    {
        _pending = [];
        var snapshot = _arena.Keys.ToArray();
        _build = Task.Run(() => Build(snapshot));
    }

    private void Build(long[] snapshot)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var index = AnnIndex.Create(_arena.Dimensions);
        try
        {
            var batch = new List<(long, float[])>(BuildBatch);
            for (var start = 0; start < snapshot.Length; start += BuildBatch)
            {
                batch.Clear();
                _lock.EnterReadLock();
                try
                {
                    if (_disposed)
                    {
                        index.Dispose();
                        return;
                    }
                    foreach (var key in snapshot.AsSpan(start, Math.Min(BuildBatch, snapshot.Length - start)))
                    {
                        if (_arena.Contains(key))
                        {
                            batch.Add((key, _arena.Get(key).ToArray()));
                        }
                    }
                }
                finally
                {
                    _lock.ExitReadLock();
                }
                foreach (var (key, vector) in batch)
                {
                    index.Add(key, vector);
                }
            }
            _lock.EnterWriteLock();
            try
            {
                if (_disposed)
                {
                    index.Dispose();
                    return;
                }
                foreach (var (key, added) in _pending!)
                {
                    if (added && _arena.Contains(key) && !index.Contains(key))
                    {
                        index.Add(key, _arena.Get(key).ToArray());
                    }
                    else if (!added && index.Contains(key))
                    {
                        index.Remove(key);
                    }
                }
                _pending = null;
                Volatile.Write(ref _ann, index);
            }
            finally
            {
                _lock.ExitWriteLock();
            }
            LogIndexBuilt(_logger, _name, index.Count, started.Elapsed.TotalSeconds);
        }
        catch (Exception e)
        {
            // Searches stay exact: slower, never wrong. The next start tries again.
            index.Dispose();
            LogIndexBuildFailed(_logger, e, _name);
            _lock.EnterWriteLock();
            _pending = null;
            _lock.ExitWriteLock();
        }
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "collection {Collection}: loaded its saved vector index ({Count} vectors)")]
    private static partial void LogIndexLoaded(ILogger logger, string collection, int count);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning,
        Message = "collection {Collection}: rebuilding its vector index from the database ({Count} vectors) because {Problem}; searches are exact until it is built")]
    private static partial void LogIndexRebuilt(ILogger logger, string collection, string problem, int count);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "collection {Collection}: vector index built ({Count} vectors in {Seconds:F1} s)")]
    private static partial void LogIndexBuilt(ILogger logger, string collection, long count, double seconds);

    [LoggerMessage(EventId = 23, Level = LogLevel.Error, Message = "collection {Collection}: building the vector index failed; searches stay exact")]
    private static partial void LogIndexBuildFailed(ILogger logger, Exception exception, string collection);
}
