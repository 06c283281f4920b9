using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;

namespace Sift.Tokenization;

/// <summary>
/// Byte-level BPE over raw UTF-8 bytes: every byte is a token, and merges ranked by their order
/// in tokenizer.json join adjacent tokens, lowest rank first, leftmost first on ties (the
/// Hugging Face order). Encoded pieces are cached, because prose repeats its words.
/// </summary>
internal sealed class BpeModel
{
    /// <summary>
    /// Below this many bytes a piece is merged by rescanning a rank array (no allocation, fast for
    /// words); longer pieces (a run of 10k letters) go through a heap so they stay O(n log n).
    /// </summary>
    private const int LinearMergeLimit = 128;

    /// <summary>Pieces longer than this are not cached: they rarely repeat and would bloat the cache.</summary>
    private const int MaxCachedPieceLength = 64;

    /// <summary>Bounds the cache's memory (about 100 bytes an entry); once full, new pieces are not added.</summary>
    private const int CacheCapacity = 200_000;

    private const int NoMerge = int.MaxValue;

    private readonly int[] _byteToId;
    private readonly int _longestTokenBytes;
    private readonly int[] _longestAsciiRun = new int[128];
    private readonly Dictionary<int, int> _longestRuneRun = [];
    private readonly Dictionary<long, long> _merges;
    private readonly byte[][] _idToBytes;
    private readonly Dictionary<string, int>? _vocabForIgnoreMerges;
    private readonly ConcurrentDictionary<string, int[]> _cache = new();
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;

    public BpeModel(IReadOnlyDictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, bool ignoreMerges)
    {
        var maxId = vocab.Count == 0 ? -1 : vocab.Values.Max();
        _idToBytes = new byte[maxId + 1][];
        foreach (var (token, id) in vocab)
        {
            if (!ByteLevelAlphabet.TryDecode(token, out var bytes))
            {
                throw new TokenizerException($"vocabulary token {id} ('{token}') is not in the byte-level alphabet; only byte-level BPE tokenizers are supported");
            }
            _idToBytes[id] = bytes;
            _longestTokenBytes = Math.Max(_longestTokenBytes, bytes.Length);
            for (var start = 0; start < bytes.Length;)
            {
                var end = start + 1;
                while (end < bytes.Length && bytes[end] == bytes[start])
                {
                    end++;
                }
                if (bytes[start] < 128)
                {
                    _longestAsciiRun[bytes[start]] = Math.Max(_longestAsciiRun[bytes[start]], end - start);
                }
                start = end;
            }
            CountRuneRuns(bytes);
        }

        _byteToId = new int[256];
        for (var b = 0; b < 256; b++)
        {
            var single = ByteLevelAlphabet.Encode([(byte)b]);
            if (!vocab.TryGetValue(single, out _byteToId[b]))
            {
                throw new TokenizerException($"the vocabulary has no token for byte 0x{b:X2}; a byte-level BPE vocabulary needs all 256");
            }
        }

        _merges = new Dictionary<long, long>(merges.Count, PairKeyComparer.Instance);
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            if (!vocab.TryGetValue(left, out var leftId) || !vocab.TryGetValue(right, out var rightId)
                || !vocab.TryGetValue(left + right, out var mergedId))
            {
                throw new TokenizerException($"merge {rank} ('{left}' + '{right}') refers to a token missing from the vocabulary");
            }
            // A later duplicate of a pair never applies: the first (lowest) rank wins.
            _merges.TryAdd(PairKey(leftId, rightId), ((long)rank << 32) | (uint)mergedId);
        }

        if (ignoreMerges)
        {
            _vocabForIgnoreMerges = new Dictionary<string, int>(vocab);
        }
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The number of ids the model itself assigns (added tokens come on top).</summary>
    public int IdCount => _idToBytes.Length;

    /// <summary>The bytes a model token stands for, or null when the id is not a model token.</summary>
    public byte[]? GetBytes(int id) => (uint)id < (uint)_idToBytes.Length ? _idToBytes[id] : null;

    /// <summary>
    /// A lower bound on the ids <see cref="Encode"/> gives <paramref name="piece"/>, in time linear in
    /// its length and without encoding it, for callers that refuse inputs over a token limit. Every
    /// id is a vocabulary token, so the piece's UTF-8 bytes need at least bytes / (longest token)
    /// of them. Tighter for a run of one character repeated n times, because tokens inside the run
    /// (not reaching outside it) are different tokens from those inside any other run:
    /// <list type="bullet">
    /// <item>An ASCII character c: a token inside the run is c repeated, at most R(c) long (the longest
    /// run of c in any vocabulary token), and at most two tokens reach in from outside, each covering
    /// at most R(c) of it; so at least ⌈n / R(c)⌉ − 2 tokens lie inside. (Qwen: R('a') = 8.)</item>
    /// <item>Any other character c: a token touches at most m(c) + 2 of the run's characters (m(c):
    /// the longest run of whole c in any vocabulary token, plus a partial character at each end), so
    /// at least ⌈n / (m(c) + 2)⌉ − 2 tokens lie inside. (Qwen: a run of 中 needs about n / 3.)</item>
    /// </list>
    /// </summary>
    public long MinimumTokens(ReadOnlySpan<char> piece)
    {
        var bytes = 0L;
        var inRuns = 0L;
        for (var i = 0; i < piece.Length;)
        {
            var c = piece[i];
            if (c < 128)
            {
                var end = i + 1;
                while (end < piece.Length && piece[end] == c)
                {
                    end++;
                }
                var run = end - i;
                bytes += run;
                var longest = _longestAsciiRun[c];
                inRuns += Math.Max(0, (run + longest - 1) / longest - 2);
                i = end;
                continue;
            }
            if (Rune.DecodeFromUtf16(piece[i..], out var rune, out var length) != OperationStatus.Done)
            {
                // A lone surrogate (U+FFFD once encoded, 3 bytes): counted low, which a lower bound may.
                bytes += 2;
                i++;
                continue;
            }
            var count = 1;
            var next = i + length;
            while (next + length <= piece.Length && piece.Slice(next, length).SequenceEqual(piece.Slice(i, length)))
            {
                count++;
                next += length;
            }
            bytes += (long)count * rune.Utf8SequenceLength;
            // Runs too short to bound anything skip the lookup (⌈n / (m + 2)⌉ − 2 > 0 needs n > 4).
            if (count > 4)
            {
                var touched = _longestRuneRun.GetValueOrDefault(rune.Value) + 2;
                inRuns += Math.Max(0, (count + touched - 1) / touched - 2);
            }
            i = next;
        }
        return Math.Max(inRuns, (bytes + _longestTokenBytes - 1) / Math.Max(1, _longestTokenBytes));
    }

    /// <summary>Records the longest run of each whole non-ASCII character in a vocabulary token's bytes, for <see cref="MinimumTokens"/>.</summary>
    private void CountRuneRuns(ReadOnlySpan<byte> bytes)
    {
        var previous = -1;
        var run = 0;
        while (!bytes.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(bytes, out var rune, out var length);
            var value = status == OperationStatus.Done && rune.Value >= 128 ? rune.Value : -1;
            run = value >= 0 && value == previous ? run + 1 : 1;
            previous = value;
            if (value >= 0 && run > _longestRuneRun.GetValueOrDefault(value))
            {
                _longestRuneRun[value] = run;
            }
            bytes = bytes[length..];
        }
    }

    /// <summary>Encodes one pre-tokenized piece and appends its ids.</summary>
    public void Encode(ReadOnlySpan<char> piece, List<int> ids)
    {
        if (_cacheLookup.TryGetValue(piece, out var cached))
        {
            ids.AddRange(cached);
            return;
        }

        var maxBytes = Encoding.UTF8.GetMaxByteCount(piece.Length);
        byte[]? rented = null;
        var buffer = maxBytes <= 1024 ? stackalloc byte[maxBytes] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            var byteCount = Encoding.UTF8.GetBytes(piece, buffer);
            var start = ids.Count;
            EncodeBytes(buffer[..byteCount], ids);
            if (piece.Length <= MaxCachedPieceLength && _cache.Count < CacheCapacity)
            {
                _cacheLookup.TryAdd(piece, CollectionsMarshal.AsSpan(ids)[start..].ToArray());
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private void EncodeBytes(ReadOnlySpan<byte> bytes, List<int> ids)
    {
        if (_vocabForIgnoreMerges is not null
            && _vocabForIgnoreMerges.TryGetValue(ByteLevelAlphabet.Encode(bytes), out var whole))
        {
            ids.Add(whole);
            return;
        }
        if (bytes.Length == 1)
        {
            ids.Add(_byteToId[bytes[0]]);
            return;
        }
        if (bytes.Length <= LinearMergeLimit)
        {
            MergeLinear(bytes, ids);
        }
        else
        {
            MergeWithHeap(bytes, ids);
        }
    }

    private void MergeLinear(ReadOnlySpan<byte> bytes, List<int> ids)
    {
        Span<int> symbols = stackalloc int[bytes.Length];
        Span<long> pairs = stackalloc long[bytes.Length];
        var count = bytes.Length;
        for (var i = 0; i < count; i++)
        {
            symbols[i] = _byteToId[bytes[i]];
        }
        for (var i = 0; i < count - 1; i++)
        {
            pairs[i] = LookupMerge(symbols[i], symbols[i + 1]);
        }

        while (count > 1)
        {
            var best = -1;
            var bestRank = NoMerge;
            for (var i = 0; i < count - 1; i++)
            {
                var rank = (int)(pairs[i] >> 32);
                if (rank < bestRank)
                {
                    bestRank = rank;
                    best = i;
                }
            }
            if (best < 0)
            {
                break;
            }

            symbols[best] = (int)pairs[best];
            symbols[(best + 2)..count].CopyTo(symbols[(best + 1)..]);
            if (best + 2 < count - 1)
            {
                pairs[(best + 2)..(count - 1)].CopyTo(pairs[(best + 1)..]);
            }
            count--;
            if (best > 0)
            {
                pairs[best - 1] = LookupMerge(symbols[best - 1], symbols[best]);
            }
            if (best < count - 1)
            {
                pairs[best] = LookupMerge(symbols[best], symbols[best + 1]);
            }
        }

        for (var i = 0; i < count; i++)
        {
            ids.Add(symbols[i]);
        }
    }

    /// <summary>
    /// The same merge order on a doubly linked list with a priority queue of candidate pairs,
    /// ordered by (rank, position); entries made stale by an earlier merge are skipped. An entry is
    /// one long, rank &lt;&lt; 32 | left position: a rank names its pair, so the pair need not be stored,
    /// and a 2 MB piece's queue stays in tens of megabytes instead of hundreds.
    /// </summary>
    private void MergeWithHeap(ReadOnlySpan<byte> bytes, List<int> ids)
    {
        var n = bytes.Length;
        var symbols = ArrayPool<int>.Shared.Rent(n);
        var next = ArrayPool<int>.Shared.Rent(n);
        var previous = ArrayPool<int>.Shared.Rent(n);
        // Every merge queues at most two pairs, so n - 1 initial pairs and n - 1 merges need 3n entries.
        var heap = new MinHeap(ArrayPool<long>.Shared.Rent(3 * n));
        try
        {
            for (var i = 0; i < n; i++)
            {
                symbols[i] = _byteToId[bytes[i]];
                next[i] = i + 1 < n ? i + 1 : -1;
                previous[i] = i - 1;
            }
            for (var i = 0; i < n - 1; i++)
            {
                Enqueue(ref heap, i);
            }

            while (heap.TryPop(out var entry))
            {
                var left = (int)(uint)entry;
                var right = next[left];
                // Stale when the left symbol was merged away or the pair at left is no longer the queued one
                // (ranks are unique per pair, so an equal rank is the same pair).
                if (symbols[left] < 0 || right < 0)
                {
                    continue;
                }
                var merge = LookupMerge(symbols[left], symbols[right]);
                if (merge >> 32 != entry >> 32)
                {
                    continue;
                }
                symbols[left] = (int)merge;
                symbols[right] = -1;
                next[left] = next[right];
                if (next[right] >= 0)
                {
                    previous[next[right]] = left;
                }
                if (previous[left] >= 0)
                {
                    Enqueue(ref heap, previous[left]);
                }
                Enqueue(ref heap, left);
            }

            for (var i = 0; i >= 0; i = next[i])
            {
                ids.Add(symbols[i]);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(symbols);
            ArrayPool<int>.Shared.Return(next);
            ArrayPool<int>.Shared.Return(previous);
            ArrayPool<long>.Shared.Return(heap.Items);
        }

        void Enqueue(ref MinHeap queue, int left)
        {
            var right = next[left];
            if (right < 0)
            {
                return;
            }
            var rank = (int)(LookupMerge(symbols[left], symbols[right]) >> 32);
            if (rank != NoMerge)
            {
                queue.Push(((long)rank << 32) | (uint)left);
            }
        }
    }

    /// <summary>The merge of a pair as (rank &lt;&lt; 32 | merged id), or rank <see cref="NoMerge"/>.</summary>
    private long LookupMerge(int left, int right) =>
        _merges.TryGetValue(PairKey(left, right), out var merge) ? merge : (long)NoMerge << 32;

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;
}
