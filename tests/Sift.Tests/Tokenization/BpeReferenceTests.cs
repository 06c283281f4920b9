using System.Text;
using System.Text.Json;
using Sift.Tokenization;

namespace Sift.Tests.Tokenization;

/// <summary>
/// Long pieces (over 128 bytes go through the heap merge) against a textbook BPE written here:
/// merge the lowest-ranked adjacent pair, leftmost on ties, until none is left. Slow (quadratic),
/// independent of BpeModel's queue and hashing, and exact by definition.
/// </summary>
public sealed class BpeReferenceTests
{
    private static readonly Lazy<Tokenizer> Tokenizer = new(() => Sift.Tokenization.Tokenizer.Load(Fixtures.EmbeddingModel));
    private static readonly Lazy<ReferenceBpe> Reference = new(() => new ReferenceBpe(Path.Combine(Fixtures.EmbeddingModel, "tokenizer.json")));

    public static TheoryData<string, string> LongPieces() => new()
    {
        // Runs of one character: every pair is a token with itself (the hash chain that once cost seconds).
        { "letter run", new string('a', 1000) },
        { "letter run, odd length", new string('a', 777) },
        { "space run", new string(' ', 700) },
        { "newline run", new string('\n', 500) },
        { "symbol run", new string('!', 600) },
        { "dash run", new string('-', 900) },
        { "CJK run", new string('中', 300) },
        { "emoji run", string.Concat(Enumerable.Repeat("😀", 200)) },
        { "combining marks", "a" + new string('\u0301', 400) },
        { "Hangul syllables", new string('한', 300) },
    };

    [Theory]
    [MemberData(nameof(LongPieces))]
    public void Encode_LongPiece_MatchesTextbookBpe(string shape, string text)
    {
        Assert.Equal(Reference.Value.Encode(text), Tokenizer.Value.Encode(text, addSpecialTokens: false));
        Assert.NotEmpty(shape);
    }

    [Fact]
    public void Encode_RandomLongWords_MatchTextbookBpe()
    {
        // Long words from small alphabets: many distinct pairs and ranks, ties at equal ranks.
        var random = new Random(20261129);
        string[] alphabets = ["ab", "abc", "aeiourst", "ан", "中文字", "-=*/"];
        for (var trial = 0; trial < 24; trial++)
        {
            var alphabet = alphabets[trial % alphabets.Length];
            var builder = new StringBuilder();
            var length = random.Next(130, 600);
            while (builder.Length < length)
            {
                builder.Append(alphabet[random.Next(alphabet.Length)]);
            }
            var text = builder.ToString();
            Assert.Equal(Reference.Value.Encode(text), Tokenizer.Value.Encode(text, addSpecialTokens: false));
        }
    }

    /// <summary>Pieces from the pre-tokenizer (tested against the regex elsewhere), then the textbook merge loop on each.</summary>
    private sealed class ReferenceBpe
    {
        private readonly Dictionary<string, int> _vocab;
        private readonly Dictionary<(string, string), int> _ranks = [];

        public ReferenceBpe(string path)
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            var model = json.RootElement.GetProperty("model");
            _vocab = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
            var rank = 0;
            foreach (var merge in model.GetProperty("merges").EnumerateArray())
            {
                var (left, right) = merge.ValueKind == JsonValueKind.Array
                    ? (merge[0].GetString()!, merge[1].GetString()!)
                    : (merge.GetString()!.Split(' ')[0], merge.GetString()!.Split(' ')[1]);
                _ranks.TryAdd((left, right), rank++);
            }
        }

        public int[] Encode(string text)
        {
            var normalized = text.Normalize(NormalizationForm.FormC);
            var pieces = new List<Range>();
            Qwen2PreTokenizer.Instance.Split(normalized, pieces);
            var ids = new List<int>();
            foreach (var piece in pieces)
            {
                var symbols = ByteLevelAlphabet.Encode(Encoding.UTF8.GetBytes(normalized[piece])).Select(c => c.ToString()).ToList();
                while (true)
                {
                    var best = -1;
                    var bestRank = int.MaxValue;
                    for (var i = 0; i + 1 < symbols.Count; i++)
                    {
                        if (_ranks.TryGetValue((symbols[i], symbols[i + 1]), out var rank) && rank < bestRank)
                        {
                            bestRank = rank;
                            best = i;
                        }
                    }
                    if (best < 0)
                    {
                        break;
                    }
                    symbols[best] += symbols[best + 1];
                    symbols.RemoveAt(best + 1);
                }
                ids.AddRange(symbols.Select(s => _vocab[s]));
            }
            return ids.ToArray();
        }
    }
}
