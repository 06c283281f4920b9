using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Sift.Tokenization;

namespace Sift.Bench;

/// <summary>
/// Tokenizer CPU time on hostile input shapes (one repeated letter, digits, whitespace, CJK,
/// characters outside the BMP, combining marks, mixed) at 100 KB, 1 MB and the server's largest
/// request body, single thread: what one request can cost before the token limit refuses it.
/// Each line: the shape, its UTF-8 size, its token count and the best of --rounds for a whole
/// encoding, for the encoding with offsets (/tokenize's path), and for the refusal a server with the
/// model's 32,768-token limit makes (<see cref="Tokenizer.TryEncodeContent"/> counting to
/// <see cref="Tokenizer.RefusalCount"/>).
/// </summary>
internal static class HostileTokenizerBenchmark
{
    /// <summary>The server's default --payload-limit, less room for the JSON around the text.</summary>
    private const int MaxBodyText = 2 * 1024 * 1024 - 64;

    /// <summary>Qwen3-Embedding's own input limit, the server's default --max-input-length.</summary>
    private const int ModelLimit = 32768;

    public static void Run(BenchOptions options)
    {
        var tokenizerFile = Path.Combine(options.Model ?? throw new ArgumentException("--model is required for the tokenizer-hostile workload"), Tokenizer.FileName);
        var tokenizer = Tokenizer.Load(tokenizerFile);
        foreach (var size in new[] { 100_000, 1_000_000, MaxBodyText })
        {
            foreach (var (shape, text) in HostileShapes.All(size))
            {
                var tokens = 0;
                var encode = Best(options.Rounds, () => tokens = tokenizer.Encode(text, addSpecialTokens: false).Length);
                var offsets = Best(options.Rounds, () => tokenizer.EncodeWithOffsets(text, addSpecialTokens: false));
                var refused = false;
                var refusal = Best(options.Rounds, () => refused = !tokenizer.TryEncodeContent(text, new List<int>(), Tokenizer.RefusalCount(ModelLimit)));
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["workload"] = "tokenizer-hostile",
                    ["shape"] = shape,
                    ["bytes"] = Encoding.UTF8.GetByteCount(text),
                    ["tokens"] = tokens,
                    ["encode_ms"] = Math.Round(encode, 1),
                    ["offsets_ms"] = Math.Round(offsets, 1),
                    ["refusal_ms"] = Math.Round(refusal, 1),
                    ["refused"] = refused,
                }));
            }
        }
    }

    private static double Best(int rounds, Action run) => Enumerable.Range(0, Math.Max(1, rounds)).Min(_ =>
    {
        var clock = Stopwatch.StartNew();
        run();
        return clock.Elapsed.TotalMilliseconds;
    });
}
