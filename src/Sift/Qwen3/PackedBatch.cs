namespace Sift.Qwen3;

/// <summary>
/// Several token sequences laid end to end without padding. Attention is block-diagonal over
/// them, so each sequence's result is what it would be alone.
/// </summary>
public sealed class PackedBatch
{
    private PackedBatch(int[] tokenIds, int[] sequenceStarts, int[] positions)
    {
        TokenIds = tokenIds;
        SequenceStarts = sequenceStarts;
        Positions = positions;
    }

    /// <summary>All tokens, sequence after sequence.</summary>
    public int[] TokenIds { get; }

    /// <summary>Where each sequence starts in <see cref="TokenIds"/>, plus the total at the end.</summary>
    public int[] SequenceStarts { get; }

    /// <summary>Each token's position inside its own sequence.</summary>
    public int[] Positions { get; }

    /// <summary>Number of sequences.</summary>
    public int SequenceCount => SequenceStarts.Length - 1;

    /// <summary>Number of tokens.</summary>
    public int TokenCount => TokenIds.Length;

    /// <summary>Packs sequences in the given order; each must hold at least one token.</summary>
    public static PackedBatch Create(IReadOnlyList<IReadOnlyList<int>> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0)
        {
            throw new ArgumentException("a batch needs at least one sequence", nameof(sequences));
        }
        var starts = new int[sequences.Count + 1];
        for (var s = 0; s < sequences.Count; s++)
        {
            if (sequences[s].Count == 0)
            {
                throw new ArgumentException($"sequence {s} is empty", nameof(sequences));
            }
            starts[s + 1] = checked(starts[s] + sequences[s].Count);
        }
        var ids = new int[starts[^1]];
        var positions = new int[ids.Length];
        for (var s = 0; s < sequences.Count; s++)
        {
            for (var i = 0; i < sequences[s].Count; i++)
            {
                ids[starts[s] + i] = sequences[s][i];
                positions[starts[s] + i] = i;
            }
        }
        return new PackedBatch(ids, starts, positions);
    }
}
