using System.Net.Http.Json;
using System.Text.Json;

namespace Sift.Tests.Server.Playground;

/// <summary>The same API the page calls, asked directly, for the numbers the page must show.</summary>
internal static class PlaygroundApi
{
    public static async Task<JsonElement> PostAsync(TestServer server, string path, object body)
    {
        var response = await server.Http.PostAsJsonAsync(path, body, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JsonElement> GetAsync(TestServer server, string path)
    {
        var text = await server.Http.GetStringAsync(path, TestContext.Current.CancellationToken);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Vectors as JavaScript reads them: each JSON number parsed straight to a double.</summary>
    public static double[][] Vectors(JsonElement embeddings) =>
        embeddings.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("embedding").EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();

    public static double Cosine(double[] a, double[] b)
    {
        double dot = 0, normA = 0, normB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            normA += a[i] * a[i];
            normB += b[i] * b[i];
        }
        return dot / Math.Sqrt(normA * normB);
    }
}
