using System.Globalization;
using System.Text;

namespace Sift.Tokenization;

/// <summary>
/// A hand-written scanner equivalent to the Qwen2/Qwen3 split regex
/// <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>.
/// It classifies whole code points (as the Rust tokenizers do), treats a lone surrogate as
/// U+FFFD (as UTF-8 encoding will), and runs several times faster than the regex engine.
/// Each branch below is one alternative of the pattern, tried in the pattern's order.
/// </summary>
internal sealed class Qwen2PreTokenizer : PreTokenizer
{
    /// <summary>The pattern this scanner implements, as Qwen's tokenizer.json spells it.</summary>
    public const string Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private enum CharClass : byte
    {
        Other,
        Letter,
        Number,
        Whitespace,
    }

    private static readonly CharClass[] AsciiClasses = BuildAsciiClasses();

    public static Qwen2PreTokenizer Instance { get; } = new();

    public override void Split(ReadOnlySpan<char> text, List<Range> pieces)
    {
        var position = 0;
        while (position < text.Length)
        {
            var end = NextPieceEnd(text, position);
            pieces.Add(new Range(position, end));
            position = end;
        }
    }

    private static int NextPieceEnd(ReadOnlySpan<char> text, int start)
    {
        var first = text[start];
        if (first == '\'')
        {
            var contractionEnd = ContractionEnd(text, start);
            if (contractionEnd > 0)
            {
                return contractionEnd;
            }
        }

        var firstClass = Classify(text, start, out var firstLength);
        var afterFirst = start + firstLength;
        if (firstClass == CharClass.Letter)
        {
            return SkipClass(text, afterFirst, CharClass.Letter);
        }
        if (firstClass != CharClass.Number && first is not ('\r' or '\n')
            && afterFirst < text.Length && Classify(text, afterFirst, out _) == CharClass.Letter)
        {
            return SkipClass(text, afterFirst, CharClass.Letter);
        }
        if (firstClass == CharClass.Number)
        {
            return afterFirst;
        }

        var symbolStart = first == ' ' && afterFirst < text.Length && Classify(text, afterFirst, out _) == CharClass.Other
            ? afterFirst
            : start;
        if (Classify(text, symbolStart, out _) == CharClass.Other)
        {
            var end = SkipClass(text, symbolStart, CharClass.Other);
            while (end < text.Length && text[end] is '\r' or '\n')
            {
                end++;
            }
            return end;
        }

        // Whitespace: \s*[\r\n]+ | \s+(?!\S) | \s+. Every whitespace character is in the BMP.
        var runEnd = SkipClass(text, start, CharClass.Whitespace);
        var lastNewline = text[start..runEnd].LastIndexOfAny('\r', '\n');
        if (lastNewline >= 0)
        {
            return start + lastNewline + 1;
        }
        if (runEnd == text.Length || runEnd - start == 1)
        {
            return runEnd;
        }
        return runEnd - 1;
    }

    /// <summary>Matches (?i:'s|'t|'re|'ve|'m|'ll|'d) at <paramref name="start"/>; 0 when none does.</summary>
    private static int ContractionEnd(ReadOnlySpan<char> text, int start)
    {
        if (start + 1 >= text.Length)
        {
            return 0;
        }
        var c1 = FoldCase(text[start + 1]);
        if (c1 is 's' or 't' or 'm' or 'd')
        {
            return start + 2;
        }
        if (start + 2 >= text.Length)
        {
            return 0;
        }
        var c2 = FoldCase(text[start + 2]);
        return (c1, c2) is ('r', 'e') or ('v', 'e') or ('l', 'l') ? start + 3 : 0;
    }

    /// <summary>Simple case folding as the regex's (?i) applies it to these letters: ASCII, plus long s.</summary>
    private static char FoldCase(char c) => c switch
    {
        >= 'A' and <= 'Z' => (char)(c + ('a' - 'A')),
        '\u017F' => 's',
        _ => c,
    };

    private static int SkipClass(ReadOnlySpan<char> text, int position, CharClass wanted)
    {
        while (position < text.Length && Classify(text, position, out var length) == wanted)
        {
            position += length;
        }
        return position;
    }

    private static CharClass Classify(ReadOnlySpan<char> text, int position, out int length)
    {
        var c = text[position];
        if (c < 128)
        {
            length = 1;
            return AsciiClasses[c];
        }
        if (Rune.DecodeFromUtf16(text[position..], out var rune, out length) != System.Buffers.OperationStatus.Done)
        {
            // A lone surrogate: UTF-8 encoding turns it into U+FFFD, a symbol.
            return CharClass.Other;
        }
        if (Rune.IsWhiteSpace(rune))
        {
            return CharClass.Whitespace;
        }
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharClass.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharClass.Number,
            _ => CharClass.Other,
        };
    }

    private static CharClass[] BuildAsciiClasses()
    {
        var classes = new CharClass[128];
        for (var c = 0; c < 128; c++)
        {
            classes[c] = char.IsAsciiLetter((char)c) ? CharClass.Letter
                : char.IsAsciiDigit((char)c) ? CharClass.Number
                : char.IsWhiteSpace((char)c) ? CharClass.Whitespace
                : CharClass.Other;
        }
        return classes;
    }
}
