using System.Text;
using Sift.Tokenization;

namespace Sift.Tests.Tokenization;

public sealed class Qwen2PreTokenizerTests
{
    // Characters chosen to hit every branch of the pattern: letters, digits, apostrophes and
    // contraction letters, spaces of several kinds, CR/LF, symbols, and non-ASCII letters and marks.
    private const string Alphabet = "aSsTtRrEeVvLlMmDd' \t\r\n\u00a0\u3000.,!?-_#$0123456789éΩж中あ\u0301\u0663Ⅻ½";

    [Fact]
    public void Split_RandomBmpText_MatchesDotNetRegexOfThePattern()
    {
        // The .NET regex engine is an independent oracle for the same pattern on BMP text.
        var oracle = new RegexPreTokenizer(Qwen2PreTokenizer.Pattern);
        var random = new Random(1234);
        for (var trial = 0; trial < 3000; trial++)
        {
            var builder = new StringBuilder();
            var length = random.Next(1, 40);
            for (var i = 0; i < length; i++)
            {
                builder.Append(Alphabet[random.Next(Alphabet.Length)]);
            }
            var text = builder.ToString();
            Assert.Equal(Pieces(oracle, text), Pieces(Qwen2PreTokenizer.Instance, text));
        }
    }

    [Fact]
    public void Split_AstralLetters_StayInOneWordPiece()
    {
        // U+1D400 MATHEMATICAL BOLD CAPITAL A is a letter; a UTF-16 regex would see two surrogates.
        Assert.Equal(["x𝐀𝐁", " y"], Pieces(Qwen2PreTokenizer.Instance, "x𝐀𝐁 y"));
    }

    private static List<string> Pieces(PreTokenizer preTokenizer, string text)
    {
        var ranges = new List<Range>();
        preTokenizer.Split(text, ranges);
        return ranges.Select(r => text[r]).ToList();
    }
}
