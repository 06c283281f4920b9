using System.Text.RegularExpressions;

namespace Sift.Tokenization;

/// <summary>
/// A split pre-tokenizer driven by .NET's regex engine, for patterns without a hand-written
/// scanner. Text between matches becomes a piece of its own ("Isolated" behaviour). .NET
/// matches UTF-16 code units, so a letter outside the BMP is not \p{L} here as it is in the
/// Rust tokenizers; <see cref="Qwen2PreTokenizer"/> works on code points and has no such gap.
/// </summary>
internal sealed class RegexPreTokenizer(string pattern) : PreTokenizer
{
    /// <summary>The GPT-2 pattern used by a ByteLevel pre-tokenizer with use_regex = true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly Regex _regex = new(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);

    public string Pattern => pattern;

    public override void Split(ReadOnlySpan<char> text, List<Range> pieces)
    {
        var position = 0;
        foreach (var match in _regex.EnumerateMatches(text))
        {
            if (match.Length == 0)
            {
                continue;
            }
            if (match.Index > position)
            {
                pieces.Add(new Range(position, match.Index));
            }
            pieces.Add(new Range(match.Index, match.Index + match.Length));
            position = match.Index + match.Length;
        }
        if (position < text.Length)
        {
            pieces.Add(new Range(position, text.Length));
        }
    }
}
