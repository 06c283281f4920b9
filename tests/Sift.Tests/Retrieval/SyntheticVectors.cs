namespace Sift.Tests.Retrieval;

/// <summary>Seeded clustered unit vectors (not uniform noise: real embeddings cluster by topic) and the exact nearest neighbours in double precision.</summary>
internal static class SyntheticVectors
{
    public static float[][] Clustered(int count, int dimensions, int clusters, int seed)
    {
        var random = new Random(seed);
        var centres = Enumerable.Range(0, clusters).Select(_ => Unit(Gaussian(random, dimensions, 1.0))).ToArray();
        return Enumerable.Range(0, count).Select(_ =>
        {
            var centre = centres[random.Next(clusters)];
            var noise = Gaussian(random, dimensions, 0.35 / Math.Sqrt(dimensions) * 4);
            return Unit(centre.Select((c, i) => c + noise[i]).ToArray());
        }).ToArray();
    }

    /// <summary>Indices of the k vectors with the highest dot product with the query, computed in double.</summary>
    public static int[] ExactNearest(IReadOnlyList<float[]> vectors, float[] query, int k, Func<int, bool>? where = null) =>
        Enumerable.Range(0, vectors.Count).Where(i => where?.Invoke(i) ?? true)
            .OrderByDescending(i => vectors[i].Select((v, d) => (double)v * query[d]).Sum()).Take(k).ToArray();

    private static double[] Gaussian(Random random, int dimensions, double scale) =>
        Enumerable.Range(0, dimensions).Select(_ => scale * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())).ToArray();

    private static float[] Unit(double[] vector)
    {
        var norm = Math.Sqrt(vector.Sum(v => v * v));
        return vector.Select(v => (float)(v / norm)).ToArray();
    }
}
