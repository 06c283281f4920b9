using System.Text;

namespace Sift.Tokenization;

public sealed partial class Tokenizer
{
    /// <summary>
    /// Encodes text and reports, for each token, the UTF-8 byte range it covers (what TEI's /tokenize
    /// returns). Offsets are into the normalized text, which is the input itself unless NFC changed it.
    /// </summary>
    public IReadOnlyList<TokenSpan> EncodeWithOffsets(string text, bool addSpecialTokens = true) =>
        TryEncodeWithOffsets(text, addSpecialTokens, int.MaxValue)!;

    /// <summary>
    /// <see cref="EncodeWithOffsets"/> for a caller that refuses texts over <paramref name="maxTokens"/>
    /// ids (template included): null as soon as the text provably has more, from the spans so far or
    /// a lower bound on the next piece's (<see cref="BpeModel.MinimumTokens"/>); otherwise exactly
    /// what <see cref="EncodeWithOffsets"/> returns.
    /// </summary>
    public IReadOnlyList<TokenSpan>? TryEncodeWithOffsets(string text, bool addSpecialTokens, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        if (!_normalizedAddedTokens.IsEmpty || _addPrefixSpace)
        {
            // Offsets through these rarer steps are not tracked: the ids are right, the ranges empty.
            var content = new List<int>();
            if (!TryEncodeContent(text, content, Math.Max(0, maxTokens - (addSpecialTokens ? _prefixIds.Length + _suffixIds.Length : 0))))
            {
                return null;
            }
            IEnumerable<int> all = addSpecialTokens ? [.. _prefixIds, .. content, .. _suffixIds] : content;
            return all.Select(id => new TokenSpan(id, 0, 0, IsSpecial(id))).ToArray();
        }
        // The suffix comes after the text: the text's spans may take the rest.
        var spanLimit = (long)maxTokens - (addSpecialTokens ? _suffixIds.Length : 0);
        var limited = maxTokens != int.MaxValue;
        var spans = new List<TokenSpan>();
        if (addSpecialTokens)
        {
            spans.AddRange(_prefixIds.Select(id => new TokenSpan(id, 0, 0, IsSpecial(id))));
        }
        var ids = new List<int>();
        var pieces = new List<Range>();
        var position = 0;
        var bytesBefore = 0;
        while (position <= text.Length)
        {
            var found = _rawAddedTokens.TryFindNext(text, position, out var match, out var token);
            var segmentEnd = found ? match.Start.Value : text.Length;
            var segment = text.AsSpan(position, segmentEnd - position);
            var normalized = _normalizer.Apply(segment);
            pieces.Clear();
            if (!normalized.IsEmpty)
            {
                _preTokenizer.Split(normalized, pieces);
            }
            // Bytes before each piece, counted as the pieces go (counting from the segment's start for
            // every piece made offsets quadratic in the text's length).
            var counted = 0;
            var countedBytes = 0;
            foreach (var piece in pieces)
            {
                var pieceText = normalized[piece];
                if (limited && spans.Count + _model.MinimumTokens(pieceText) > spanLimit)
                {
                    return null;
                }
                countedBytes += Encoding.UTF8.GetByteCount(normalized[counted..piece.Start.Value]);
                counted = piece.Start.Value;
                var pieceStart = bytesBefore + countedBytes;
                ids.Clear();
                _model.Encode(pieceText, ids);
                var offset = pieceStart;
                foreach (var id in ids)
                {
                    var length = _model.GetBytes(id)?.Length ?? 0;
                    spans.Add(new TokenSpan(id, offset, offset + length, false));
                    offset += length;
                }
            }
            bytesBefore += Encoding.UTF8.GetByteCount(normalized);
            if (spans.Count > spanLimit)
            {
                return null;
            }
            if (!found)
            {
                break;
            }
            var matchBytes = Encoding.UTF8.GetByteCount(text.AsSpan(match.Start.Value, match.End.Value - match.Start.Value));
            spans.Add(new TokenSpan(token.Id, bytesBefore, bytesBefore + matchBytes, token.Special));
            if (spans.Count > spanLimit)
            {
                return null;
            }
            bytesBefore += matchBytes;
            position = match.End.Value;
        }
        if (addSpecialTokens)
        {
            spans.AddRange(_suffixIds.Select(id => new TokenSpan(id, bytesBefore, bytesBefore, IsSpecial(id))));
        }
        return spans;
    }
}
