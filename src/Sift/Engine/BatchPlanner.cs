namespace Sift.Engine;

/// <summary>
/// Groups sequences into forward passes under a token budget: longest first, so that sequences of
/// similar length share a pass (attention cost per pass stays even), filled greedily. A sequence
/// longer than the budget runs alone. Grouping never changes a result: batches are block-diagonal.
/// </summary>
public static class BatchPlanner
{
    /// <summary>Returns the indices of each batch, in the order the batches should run.</summary>
    public static List<int[]> Plan(IReadOnlyList<int> lengths, int maxBatchTokens)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchTokens, 1);
        var order = Enumerable.Range(0, lengths.Count).OrderByDescending(i => lengths[i]).ThenBy(i => i).ToArray();
        var batches = new List<int[]>();
        var current = new List<int>();
        var tokens = 0;
        foreach (var index in order)
        {
            if (current.Count > 0 && tokens + lengths[index] > maxBatchTokens)
            {
                batches.Add(current.ToArray());
                current.Clear();
                tokens = 0;
            }
            current.Add(index);
            tokens += lengths[index];
        }
        if (current.Count > 0)
        {
            batches.Add(current.ToArray());
        }
        return batches;
    }
}
