using Sift.Engine.LongDocuments;

namespace Sift.Engine;

/// <summary>
/// A request's inputs as the decoder sequences they become (<see cref="Embedder.Prepare"/>), and
/// the way back from those sequences' pooled states to one result per input. An input read in
/// windows is several ordinary sequences here, so the token-budget batcher schedules its windows
/// like any others and memory stays bounded by the budget, not by the document.
/// </summary>
public sealed class EmbeddingBatch
{
    private readonly int[] _first;
    private readonly WindowSpan[]?[] _spans;

    internal EmbeddingBatch(int[][] sequences, int[] first, WindowSpan[]?[] spans)
    {
        Sequences = sequences;
        _first = first;
        _spans = spans;
    }

    /// <summary>Every sequence to run, each input's in order (one, or one per window).</summary>
    public IReadOnlyList<int[]> Sequences { get; }

    /// <summary>How many inputs the batch holds.</summary>
    public int InputCount => _first.Length;

    /// <summary>
    /// One result per input from the pooled state of each sequence (in <see cref="Sequences"/> order).
    /// A single-sequence input is finished exactly as a plain embedding; a windowed one is the
    /// token-weighted mean of its windows (<see cref="WindowMean"/>), then cut and normalized.
    /// </summary>
    public EmbeddingResult[] Finish(IReadOnlyList<float[]> pooled, EmbedOptions options)
    {
        ArgumentNullException.ThrowIfNull(pooled);
        ArgumentNullException.ThrowIfNull(options);
        if (pooled.Count != Sequences.Count)
        {
            throw new ArgumentException($"{pooled.Count} pooled states for {Sequences.Count} sequences", nameof(pooled));
        }
        var results = new EmbeddingResult[_first.Length];
        for (var i = 0; i < results.Length; i++)
        {
            var first = _first[i];
            var count = (i + 1 < _first.Length ? _first[i + 1] : Sequences.Count) - first;
            var tokens = 0;
            for (var k = 0; k < count; k++)
            {
                tokens += Sequences[first + k].Length;
            }
            var vector = count == 1
                ? Embedder.Finish(pooled[first], options.Dimensions, options.Normalize)
                : Embedder.Finish(WindowMean.Combine(pooled.Skip(first).Take(count).ToArray(), _spans[i]!, options.Normalize), options.Dimensions, options.Normalize);
            IReadOnlyList<EmbeddingWindow>? windows = options.Windows is { ReturnWindows: true } && _spans[i] is { } spans
                ? spans.Select((span, k) => new EmbeddingWindow(span, Embedder.Finish(pooled[first + k], options.Dimensions, options.Normalize))).ToArray()
                : null;
            results[i] = new EmbeddingResult(vector, tokens, windows);
        }
        return results;
    }
}
