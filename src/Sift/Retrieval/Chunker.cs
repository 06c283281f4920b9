using System.Text;
using Sift.Tokenization;

namespace Sift.Retrieval;

/// <summary>
/// Splits a document into windows of its own tokens (the model's tokenizer), consecutive windows
/// sharing <c>overlap</c> tokens, and returns each window as the text it covers. A document that
/// fits one window is one chunk holding exactly its text. Window edges follow token offsets, moved
/// forward to a character boundary where a token ends inside a multi-byte character.
/// </summary>
public static class Chunker
{
    /// <summary>The chunks of <paramref name="text"/>.</summary>
    public static IReadOnlyList<TextChunk> Split(Tokenizer tokenizer, string text, int chunkTokens, int overlap)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkTokens, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(overlap);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(overlap, chunkTokens);
        var spans = tokenizer.EncodeWithOffsets(text, addSpecialTokens: false);
        if (spans.Count <= chunkTokens)
        {
            return [new TextChunk(0, text, spans.Count)];
        }
        // Offsets are UTF-8 byte ranges of the normalized text; when normalization changed the text,
        // it is the normalized text that the windows cut.
        var normalized = text.IsNormalized(NormalizationForm.FormC) ? text : text.Normalize(NormalizationForm.FormC);
        var bytes = Encoding.UTF8.GetBytes(normalized);
        if (spans[^1].End != bytes.Length)
        {
            return SplitByDecoding(tokenizer, spans, chunkTokens, overlap);
        }
        var chunks = new List<TextChunk>();
        var stride = chunkTokens - overlap;
        for (var start = 0; ; start += stride)
        {
            var end = Math.Min(start + chunkTokens, spans.Count);
            var from = CharacterStart(bytes, spans[start].Start);
            var to = end == spans.Count ? bytes.Length : CharacterStart(bytes, spans[end].Start);
            if (to > from)
            {
                chunks.Add(new TextChunk(chunks.Count, Encoding.UTF8.GetString(bytes, from, to - from), end - start));
            }
            if (end == spans.Count)
            {
                return chunks;
            }
        }
    }

    /// <summary>The first byte of the character holding <paramref name="offset"/> or after it (skips UTF-8 continuation bytes).</summary>
    private static int CharacterStart(byte[] bytes, int offset)
    {
        while (offset < bytes.Length && (bytes[offset] & 0xC0) == 0x80)
        {
            offset++;
        }
        return offset;
    }

    /// <summary>For tokenizers whose offsets are not tracked: each window's ids decoded back to text.</summary>
    private static List<TextChunk> SplitByDecoding(Tokenizer tokenizer, IReadOnlyList<TokenSpan> spans, int chunkTokens, int overlap)
    {
        var ids = spans.Select(s => s.Id).ToArray();
        var chunks = new List<TextChunk>();
        for (var start = 0; ; start += chunkTokens - overlap)
        {
            var end = Math.Min(start + chunkTokens, ids.Length);
            chunks.Add(new TextChunk(chunks.Count, tokenizer.Decode(ids.AsSpan(start, end - start)), end - start));
            if (end == ids.Length)
            {
                return chunks;
            }
        }
    }
}
