using System.Numerics.Tensors;

namespace Sift.Engine.LongDocuments;

/// <summary>
/// A windowed document's embedding before its final Matryoshka cut and normalization: the mean of
/// its windows' L2-normalized embeddings, each weighted by the content tokens it read, so that a
/// token counts the same wherever it falls (overlapped tokens are read, and weighted, twice).
/// Without normalization (TEI's normalize:false) the windows' raw pooled states are averaged the
/// same way, so a windowed document's vector has the scale of a document read in one pass.
/// </summary>
public static class WindowMean
{
    /// <summary>The weighted mean of the windows' pooled states, each L2-normalized first when <paramref name="normalize"/> is set.</summary>
    /// <param name="pooled">Each window's pooled (last-token, final-normalized) state, all of one width.</param>
    /// <param name="spans">Each window's content-token span: its weight is the span's length.</param>
    /// <param name="normalize">Average unit vectors (the document vector is then normalized); false averages the raw states.</param>
    public static float[] Combine(IReadOnlyList<float[]> pooled, IReadOnlyList<WindowSpan> spans, bool normalize = true)
    {
        ArgumentNullException.ThrowIfNull(pooled);
        ArgumentNullException.ThrowIfNull(spans);
        if (pooled.Count == 0 || pooled.Count != spans.Count)
        {
            throw new ArgumentException($"{pooled.Count} pooled states for {spans.Count} windows; need one per window, at least one", nameof(pooled));
        }
        var width = pooled[0].Length;
        // Summed in double: dozens of windows of unit vectors, and the result is compared at 1e-6.
        var sum = new double[width];
        var totalWeight = 0L;
        for (var w = 0; w < pooled.Count; w++)
        {
            var vector = pooled[w];
            if (vector.Length != width)
            {
                throw new ArgumentException($"window {w} has width {vector.Length}, window 0 has {width}", nameof(pooled));
            }
            var weight = spans[w].Length;
            var norm = normalize ? TensorPrimitives.Norm(vector) : 1f;
            var scale = norm > 0 ? weight / (double)norm : 0;
            for (var i = 0; i < width; i++)
            {
                sum[i] += scale * vector[i];
            }
            totalWeight += weight;
        }
        var mean = new float[width];
        for (var i = 0; i < width; i++)
        {
            mean[i] = totalWeight > 0 ? (float)(sum[i] / totalWeight) : 0f;
        }
        return mean;
    }
}
