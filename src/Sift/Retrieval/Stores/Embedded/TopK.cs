namespace Sift.Retrieval.Stores.Embedded;

/// <summary>Keeps the k best hits seen so far (a min-heap of size k); ties keep the hit seen first.</summary>
internal sealed class TopK
{
    private readonly PriorityQueue<VectorHit, (float Score, long Sequence)> _heap;
    private readonly int _k;
    private long _sequence;

    public TopK(int k)
    {
        _k = k;
        // The worst hit leaves first: lowest score, and among equal scores the one seen last.
        _heap = new PriorityQueue<VectorHit, (float, long)>(k + 1, Comparer<(float Score, long Sequence)>.Create((a, b) =>
            a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Sequence.CompareTo(a.Sequence)));
    }

    /// <summary>The lowest score still kept, or -infinity while fewer than k are kept.</summary>
    public float Threshold => _heap.Count < _k ? float.NegativeInfinity : _heap.Peek().Score;

    public void Offer(long key, float score)
    {
        if (_heap.Count == _k && score <= Threshold)
        {
            return;
        }
        _heap.Enqueue(new VectorHit(key, score), (score, _sequence++));
        if (_heap.Count > _k)
        {
            _heap.Dequeue();
        }
    }

    /// <summary>The kept hits, best first (equal scores in the order they were offered).</summary>
    public VectorHit[] ToArray()
    {
        var hits = new List<(VectorHit Hit, long Sequence)>(_heap.Count);
        while (_heap.TryDequeue(out var hit, out var priority))
        {
            hits.Add((hit, priority.Sequence));
        }
        return hits.OrderByDescending(h => h.Hit.Score).ThenBy(h => h.Sequence).Select(h => h.Hit).ToArray();
    }
}
