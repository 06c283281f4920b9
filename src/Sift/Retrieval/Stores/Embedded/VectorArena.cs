using System.Numerics.Tensors;

namespace Sift.Retrieval.Stores.Embedded;

/// <summary>
/// A collection's vectors in memory, keyed by chunk key, in fixed-size blocks (no huge array to
/// regrow): the source of exact scores, of exact search, and of the approximate index's builds.
/// Not thread-safe; <see cref="CollectionVectors"/> guards it.
/// </summary>
internal sealed class VectorArena(int dimensions)
{
    /// <summary>Vectors per block: 4096 × 1024 floats is a 16 MB block.</summary>
    private const int BlockVectors = 4096;

    private readonly List<float[]> _blocks = [];
    private readonly List<long> _keys = [];
    private readonly Dictionary<long, int> _slots = [];

    public int Dimensions { get; } = dimensions;

    public int Count => _keys.Count;

    public IReadOnlyList<long> Keys => _keys;

    public long Bytes => (long)_blocks.Count * BlockVectors * Dimensions * sizeof(float);

    public bool Contains(long key) => _slots.ContainsKey(key);

    public void Add(long key, ReadOnlySpan<float> vector)
    {
        if (vector.Length != Dimensions)
        {
            throw new ArgumentException($"vector has {vector.Length} components; the collection has {Dimensions}", nameof(vector));
        }
        if (_slots.ContainsKey(key))
        {
            vector.CopyTo(Slot(_slots[key]));
            return;
        }
        var slot = _keys.Count;
        if (slot / BlockVectors == _blocks.Count)
        {
            _blocks.Add(new float[BlockVectors * Dimensions]);
        }
        _keys.Add(key);
        _slots[key] = slot;
        vector.CopyTo(Slot(slot));
    }

    /// <summary>Removes a key; the last vector moves into its slot so the slots stay dense.</summary>
    public bool Remove(long key)
    {
        if (!_slots.Remove(key, out var slot))
        {
            return false;
        }
        var last = _keys.Count - 1;
        if (slot != last)
        {
            var moved = _keys[last];
            Slot(last).CopyTo(Slot(slot));
            _keys[slot] = moved;
            _slots[moved] = slot;
        }
        _keys.RemoveAt(last);
        if (_keys.Count % BlockVectors == 0 && _blocks.Count > _keys.Count / BlockVectors)
        {
            _blocks.RemoveAt(_blocks.Count - 1);
        }
        return true;
    }

    public ReadOnlySpan<float> Get(long key) => Slot(_slots[key]);

    /// <summary>The exact score of a stored vector against a query.</summary>
    public float Score(long key, ReadOnlySpan<float> query) => TensorPrimitives.Dot(Slot(_slots[key]), query);

    /// <summary>Exact search over every vector, or only over <paramref name="allowed"/> keys.</summary>
    public VectorHit[] Search(ReadOnlySpan<float> query, int k, IReadOnlySet<long>? allowed)
    {
        var top = new TopK(k);
        if (allowed is null)
        {
            for (var slot = 0; slot < _keys.Count; slot++)
            {
                top.Offer(_keys[slot], TensorPrimitives.Dot(Slot(slot), query));
            }
        }
        else
        {
            foreach (var key in allowed)
            {
                if (_slots.TryGetValue(key, out var slot))
                {
                    top.Offer(key, TensorPrimitives.Dot(Slot(slot), query));
                }
            }
        }
        return top.ToArray();
    }

    private Span<float> Slot(int slot) => _blocks[slot / BlockVectors].AsSpan(slot % BlockVectors * Dimensions, Dimensions);
}
