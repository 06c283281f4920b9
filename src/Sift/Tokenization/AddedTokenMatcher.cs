using System.Buffers;

namespace Sift.Tokenization;

/// <summary>
/// Finds added tokens written in text, leftmost first and longest first at one position (the
/// Hugging Face rule), so that "&lt;|im_start|&gt;" in text becomes one token instead of BPE pieces.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly AddedToken[] _tokensLongestFirst;
    private readonly SearchValues<char> _firstChars;

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        _tokensLongestFirst = tokens.Where(t => t.Content.Length > 0)
            .OrderByDescending(t => t.Content.Length).ThenBy(t => t.Id).ToArray();
        _firstChars = SearchValues.Create(_tokensLongestFirst.Select(t => t.Content[0]).Distinct().ToArray());
    }

    public bool IsEmpty => _tokensLongestFirst.Length == 0;

    /// <summary>
    /// Finds the first added token at or after <paramref name="from"/>. The match range includes
    /// whitespace absorbed by lstrip / rstrip.
    /// </summary>
    public bool TryFindNext(ReadOnlySpan<char> text, int from, out Range match, out AddedToken token)
    {
        var position = from;
        while (position < text.Length)
        {
            var offset = text[position..].IndexOfAny(_firstChars);
            if (offset < 0)
            {
                break;
            }
            position += offset;
            foreach (var candidate in _tokensLongestFirst)
            {
                if (text[position..].StartsWith(candidate.Content, StringComparison.Ordinal)
                    && (!candidate.SingleWord || IsWordBoundary(text, position, position + candidate.Content.Length)))
                {
                    var start = position;
                    var end = position + candidate.Content.Length;
                    if (candidate.LeftStrip)
                    {
                        while (start > from && char.IsWhiteSpace(text[start - 1]))
                        {
                            start--;
                        }
                    }
                    if (candidate.RightStrip)
                    {
                        while (end < text.Length && char.IsWhiteSpace(text[end]))
                        {
                            end++;
                        }
                    }
                    match = new Range(start, end);
                    token = candidate;
                    return true;
                }
            }
            position++;
        }
        match = default;
        token = null!;
        return false;
    }

    private static bool IsWordBoundary(ReadOnlySpan<char> text, int start, int end) =>
        (start == 0 || !char.IsLetterOrDigit(text[start - 1]) && text[start - 1] != '_')
        && (end == text.Length || !char.IsLetterOrDigit(text[end]) && text[end] != '_');
}
