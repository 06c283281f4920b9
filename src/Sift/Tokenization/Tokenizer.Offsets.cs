using System.Text;

namespace Sift.Tokenization;

public sealed partial class Tokenizer
{
    /// <summary>
    /// Encodes text and reports, for each token, the UTF-8 byte range it covers. Offsets are into the
    /// normalized text, which is the input itself unless normalization changed it (the collections
    /// chunker cuts that text); <see cref="TryEncodeWithOffsets"/> can give them into the input.
    /// </summary>
    public IReadOnlyList<TokenSpan> EncodeWithOffsets(string text, bool addSpecialTokens = true) =>
        TryEncodeWithOffsets(text, addSpecialTokens, int.MaxValue)!;

    /// <summary>
    /// <see cref="EncodeWithOffsets"/> for a caller that refuses texts over <paramref name="maxTokens"/>
    /// ids (template included): null as soon as the text provably has more, from the spans so far or
    /// a lower bound on the next piece's (<see cref="BpeModel.MinimumTokens"/>); otherwise the same
    /// ids and spans as <see cref="EncodeWithOffsets"/>.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="addSpecialTokens">Apply the post-processor's template.</param>
    /// <param name="maxTokens">The most ids accepted.</param>
    /// <param name="offsetsIntoInput">
    /// Byte offsets into <paramref name="text"/> as given (what TEI's /tokenize returns) instead of
    /// into the normalized text: where normalization changed the text, through a
    /// <see cref="NormalizationAlignment"/>, so that a token covering part of a character that
    /// normalization made covers the input characters it was made from.
    /// </param>
    public IReadOnlyList<TokenSpan>? TryEncodeWithOffsets(string text, bool addSpecialTokens, int maxTokens, bool offsetsIntoInput = false)
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
        var inputBytesBefore = 0;
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
            var segmentFirstSpan = spans.Count;
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
            if (spans.Count > spanLimit)
            {
                return null;
            }
            if (offsetsIntoInput)
            {
                // The segment's spans, counted in its normalized bytes, moved to the input's bytes.
                var alignment = NormalizationAlignment.Build(segment, normalized, _normalizer);
                for (var i = segmentFirstSpan; i < spans.Count; i++)
                {
                    var start = spans[i].Start - bytesBefore;
                    var end = spans[i].End - bytesBefore;
                    spans[i] = spans[i] with
                    {
                        Start = inputBytesBefore + (alignment?.MapStart(start) ?? start),
                        End = inputBytesBefore + (alignment?.MapStop(end) ?? end),
                    };
                }
            }
            bytesBefore += Encoding.UTF8.GetByteCount(normalized);
            inputBytesBefore += Encoding.UTF8.GetByteCount(segment);
            if (!found)
            {
                break;
            }
            var matchBytes = Encoding.UTF8.GetByteCount(text.AsSpan(match.Start.Value, match.End.Value - match.Start.Value));
            var matchStart = offsetsIntoInput ? inputBytesBefore : bytesBefore;
            spans.Add(new TokenSpan(token.Id, matchStart, matchStart + matchBytes, token.Special));
            if (spans.Count > spanLimit)
            {
                return null;
            }
            bytesBefore += matchBytes;
            inputBytesBefore += matchBytes;
            position = match.End.Value;
        }
        if (addSpecialTokens)
        {
            var end = offsetsIntoInput ? inputBytesBefore : bytesBefore;
            spans.AddRange(_suffixIds.Select(id => new TokenSpan(id, end, end, IsSpecial(id))));
        }
        return spans;
    }
}
