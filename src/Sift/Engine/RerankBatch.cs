using Sift.Engine.LongDocuments;

namespace Sift.Engine;

/// <summary>
/// The prompts of one query's documents as decoder sequences (<see cref="Reranker.Prepare"/>), and
/// the way back from their final hidden states to one score per document. A document read in
/// windows is several prompts sharing the query's prefix; its score is its best window's.
/// </summary>
public sealed class RerankBatch
{
    private readonly Reranker _reranker;
    private readonly int[] _first;
    private readonly WindowSpan[]?[] _spans;
    private readonly int _shared;

    internal RerankBatch(Reranker reranker, ModelSequence[] sequences, int[] first, WindowSpan[]?[] spans, int shared)
    {
        _reranker = reranker;
        Sequences = sequences;
        _first = first;
        _spans = spans;
        _shared = shared;
    }

    /// <summary>Every prompt as the decoder runs it, each document's in order (one, or one per window), the shared prefix held once.</summary>
    public IReadOnlyList<ModelSequence> Sequences { get; }

    /// <summary>The whole prompt of sequence <paramref name="index"/>, shared prefix included; built on demand (for diagnostics).</summary>
    public int[] Prompt(int index)
    {
        var sequence = Sequences[index];
        return sequence.Prefix is { } prefix ? [.. prefix.Tokens, .. sequence.Tokens] : sequence.Tokens;
    }

    /// <summary>
    /// One score per document from each prompt's final hidden state (in <see cref="Sequences"/> order):
    /// a plain prompt's score, or the highest logit among a document's windows (the first on a tie).
    /// </summary>
    public RerankScore[] Scores(IReadOnlyList<float[]> hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (hidden.Count != Sequences.Count)
        {
            throw new ArgumentException($"{hidden.Count} hidden states for {Sequences.Count} prompts", nameof(hidden));
        }
        var scores = new RerankScore[_first.Length];
        for (var d = 0; d < scores.Length; d++)
        {
            var first = _first[d];
            if (_spans[d] is not { } spans)
            {
                scores[d] = _reranker.ScoreHidden(d, hidden[first], Sequences[first].TotalLength);
                continue;
            }
            RerankScore? best = null;
            var bestWindow = 0;
            var tokens = _shared;
            for (var k = 0; k < spans.Length; k++)
            {
                tokens += Sequences[first + k].TotalLength - _shared;
                var score = _reranker.ScoreHidden(d, hidden[first + k], Sequences[first + k].TotalLength);
                if (best is null || score.Logit > best.Logit)
                {
                    (best, bestWindow) = (score, k);
                }
            }
            scores[d] = best! with { TokenCount = tokens, Window = new Abstractions.DocumentWindow(bestWindow, spans[bestWindow].Start, spans[bestWindow].End, spans.Length) };
        }
        return scores;
    }
}
