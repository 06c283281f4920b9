namespace Sift.Engine;

/// <summary>
/// Groups sequences into forward passes under a token budget that counts what a pass really holds:
/// every sequence's own tokens plus, once, each shared prefix the pass's sequences continue
/// (<see cref="BatchTokens"/>). Sequences of one prefix stay together, longest first, so that
/// sequences of similar length share a pass and a prefix is computed in as few passes as possible;
/// the budget is filled greedily. A sequence whose own tokens and prefix exceed the budget runs
/// alone. Grouping never changes a result: batches are block-diagonal.
/// </summary>
public static class BatchPlanner
{
    /// <summary>Returns the indices of each batch, in the order the batches should run.</summary>
    public static List<int[]> Plan(IReadOnlyList<int> lengths, int maxBatchTokens)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        return Plan(lengths.Select(length => new ModelSequence(new int[length])).ToArray(), maxBatchTokens);
    }

    /// <summary>Returns the indices of each batch, in the order the batches should run.</summary>
    public static List<int[]> Plan(IReadOnlyList<ModelSequence> sequences, int maxBatchTokens)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchTokens, 1);
        // Prefix groups in order of first appearance; sequences without a prefix first.
        var groupOf = new Dictionary<SharedPrefix, int>(ReferenceEqualityComparer.Instance);
        var groups = new int[sequences.Count];
        for (var i = 0; i < sequences.Count; i++)
        {
            groups[i] = sequences[i].Prefix is { } prefix ? groupOf.TryGetValue(prefix, out var group) ? group : groupOf[prefix] = groupOf.Count : -1;
        }
        var order = Enumerable.Range(0, sequences.Count)
            .OrderBy(i => groups[i])
            .ThenByDescending(i => sequences[i].Tokens.Length)
            .ThenBy(i => i)
            .ToArray();
        var batches = new List<int[]>();
        var current = new List<int>();
        var prefixes = new HashSet<SharedPrefix>(ReferenceEqualityComparer.Instance);
        var tokens = 0L;
        foreach (var index in order)
        {
            var sequence = sequences[index];
            var cost = Cost(sequence, prefixes);
            if (current.Count > 0 && tokens + cost > maxBatchTokens)
            {
                batches.Add(current.ToArray());
                current.Clear();
                prefixes.Clear();
                tokens = 0;
                cost = Cost(sequence, prefixes);
            }
            current.Add(index);
            tokens += cost;
            if (sequence.Prefix is { } prefix)
            {
                prefixes.Add(prefix);
            }
        }
        if (current.Count > 0)
        {
            batches.Add(current.ToArray());
        }
        return batches;
    }

    /// <summary>
    /// The tokens a forward pass over <paramref name="batch"/> holds and computes: each sequence's
    /// own tokens, plus each distinct shared prefix once. This is the quantity the token budget
    /// bounds; <see cref="Qwen3.WorkspaceSize.For"/> turns it into bytes.
    /// </summary>
    public static long BatchTokens(IEnumerable<ModelSequence> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var prefixes = new HashSet<SharedPrefix>(ReferenceEqualityComparer.Instance);
        var tokens = 0L;
        foreach (var sequence in batch)
        {
            tokens += Cost(sequence, prefixes);
            if (sequence.Prefix is { } prefix)
            {
                prefixes.Add(prefix);
            }
        }
        return tokens;
    }

    /// <summary>Tokens one more sequence adds to a pass that already holds <paramref name="prefixes"/>.</summary>
    public static int Cost(ModelSequence sequence, IReadOnlySet<SharedPrefix> prefixes)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        ArgumentNullException.ThrowIfNull(prefixes);
        return sequence.Tokens.Length + (sequence.Prefix is { } prefix && !prefixes.Contains(prefix) ? prefix.Length : 0);
    }
}
