namespace Sift.Qwen3;

/// <summary>
/// Several token sequences laid end to end without padding. Attention is block-diagonal over
/// them, so each sequence's result is what it would be alone. A sequence may continue an earlier
/// sequence of the batch (a prefix several sequences share, such as a reranker's system prompt,
/// instruction and query): it then runs only its own tokens, at positions after the prefix, and
/// attends the prefix's keys and values where they are, so the prefix is held and computed once
/// per batch whatever the number of sequences that read it.
/// </summary>
public sealed class PackedBatch
{
    private PackedBatch(int[] tokenIds, int[] sequenceStarts, int[] positions, int[] continues)
    {
        TokenIds = tokenIds;
        SequenceStarts = sequenceStarts;
        Positions = positions;
        Continues = continues;
    }

    /// <summary>All tokens, sequence after sequence.</summary>
    public int[] TokenIds { get; }

    /// <summary>Where each sequence starts in <see cref="TokenIds"/>, plus the total at the end.</summary>
    public int[] SequenceStarts { get; }

    /// <summary>Each token's position: its index in its own sequence, after the prefix the sequence continues.</summary>
    public int[] Positions { get; }

    /// <summary>For each sequence, the index of the earlier sequence it continues, or −1.</summary>
    public int[] Continues { get; }

    /// <summary>Number of sequences.</summary>
    public int SequenceCount => SequenceStarts.Length - 1;

    /// <summary>Number of tokens (each shared prefix counted once).</summary>
    public int TokenCount => TokenIds.Length;

    /// <summary>Tokens of sequence <paramref name="s"/> itself.</summary>
    public int Length(int s) => SequenceStarts[s + 1] - SequenceStarts[s];

    /// <summary>Tokens sequence <paramref name="s"/> continues (its prefix's length), 0 when it stands alone.</summary>
    public int ContextLength(int s) => Continues[s] < 0 ? 0 : Length(Continues[s]);

    /// <summary>Packs sequences in the given order; each must hold at least one token.</summary>
    public static PackedBatch Create(IReadOnlyList<IReadOnlyList<int>> sequences) => Create(sequences, null);

    /// <summary>
    /// Packs sequences in the given order; sequence s continues sequence <c>continues[s]</c> (which
    /// must come earlier and continue nothing itself), or stands alone where that is −1.
    /// </summary>
    public static PackedBatch Create(IReadOnlyList<IReadOnlyList<int>> sequences, IReadOnlyList<int>? continues)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0)
        {
            throw new ArgumentException("a batch needs at least one sequence", nameof(sequences));
        }
        if (continues is not null && continues.Count != sequences.Count)
        {
            throw new ArgumentException($"{continues.Count} prefix links for {sequences.Count} sequences", nameof(continues));
        }
        var links = new int[sequences.Count];
        var starts = new int[sequences.Count + 1];
        for (var s = 0; s < sequences.Count; s++)
        {
            if (sequences[s].Count == 0)
            {
                throw new ArgumentException($"sequence {s} is empty", nameof(sequences));
            }
            links[s] = continues?[s] ?? -1;
            if (links[s] != -1 && (links[s] < 0 || links[s] >= s || links[links[s]] != -1))
            {
                throw new ArgumentException($"sequence {s} continues {links[s]}, which is not an earlier sequence that stands alone", nameof(continues));
            }
            starts[s + 1] = checked(starts[s] + sequences[s].Count);
        }
        var ids = new int[starts[^1]];
        var positions = new int[ids.Length];
        for (var s = 0; s < sequences.Count; s++)
        {
            var context = links[s] < 0 ? 0 : sequences[links[s]].Count;
            for (var i = 0; i < sequences[s].Count; i++)
            {
                ids[starts[s] + i] = sequences[s][i];
                positions[starts[s] + i] = context + i;
            }
        }
        return new PackedBatch(ids, starts, positions, links);
    }
}
