using System.Text;

namespace Sift.Tokenization;

/// <summary>
/// Maps UTF-8 byte offsets in a normalized segment back to the segment as the client sent it.
/// Unicode normalization (and lowercasing) reaches back from a character to the one before it only
/// when that character is a combining mark (general category Mn, Mc or Me: every character with a
/// non-zero combining class, and every other second part of a composition, e.g. U+0BBE, U+102E)
/// or a Hangul medial vowel or final consonant jamo (which compose with the syllable before). So the
/// segment is cut before every other character: a piece is one character and the marks and jamo
/// that follow it. Each piece is normalized alone, and the pieces' normalizations concatenate to the
/// segment's (checked; otherwise the whole segment is one piece). Within a piece that normalization changed, the
/// characters it left at its start and end map one to one, and the rest maps to the whole changed
/// middle: a token covering part of "é" made from "e" + U+0301 covers both in the input.
/// </summary>
internal sealed class NormalizationAlignment
{
    private readonly List<Entry> _entries = [];
    private int _normalizedBytes;
    private int _originalBytes;

    private NormalizationAlignment()
    {
    }

    /// <summary>The alignment of <paramref name="normalized"/> to <paramref name="original"/>; null when they are equal (offsets map to themselves).</summary>
    public static NormalizationAlignment? Build(ReadOnlySpan<char> original, ReadOnlySpan<char> normalized, TextNormalizer normalizer)
    {
        if (original.SequenceEqual(normalized))
        {
            return null;
        }
        var alignment = new NormalizationAlignment();
        var joined = new StringBuilder(normalized.Length);
        for (var start = 0; start < original.Length;)
        {
            var end = start + CharacterLength(original, start);
            while (end < original.Length && AttachesToPrevious(original, end))
            {
                end += CharacterLength(original, end);
            }
            var piece = original[start..end];
            var pieceNormalized = normalizer.Apply(piece);
            joined.Append(pieceNormalized);
            alignment.Add(piece, pieceNormalized);
            start = end;
        }
        if (!joined.Equals(normalized))
        {
            alignment = new NormalizationAlignment();
            alignment.AddChanged(Encoding.UTF8.GetByteCount(original), Encoding.UTF8.GetByteCount(normalized));
        }
        return alignment;
    }

    /// <summary>Whether the character at <paramref name="index"/> can combine with or reorder around the one before it under normalization.</summary>
    private static bool AttachesToPrevious(ReadOnlySpan<char> text, int index)
    {
        if (Rune.DecodeFromUtf16(text[index..], out var rune, out _) != System.Buffers.OperationStatus.Done)
        {
            return false;
        }
        // Hangul V (U+1161-U+1175) and T (U+11A8-U+11C2) jamo compose with the L or LV syllable before them.
        if (rune.Value is >= 0x1161 and <= 0x1175 or >= 0x11A8 and <= 0x11C2)
        {
            return true;
        }
        return Rune.GetUnicodeCategory(rune) is System.Globalization.UnicodeCategory.NonSpacingMark
            or System.Globalization.UnicodeCategory.SpacingCombiningMark or System.Globalization.UnicodeCategory.EnclosingMark;
    }

    /// <summary>1, or 2 for a surrogate pair (a lone surrogate is one character of its own).</summary>
    private static int CharacterLength(ReadOnlySpan<char> text, int index) =>
        char.IsHighSurrogate(text[index]) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]) ? 2 : 1;

    /// <summary>Where a token starting at <paramref name="normalizedOffset"/> starts in the input: the start of the input it came from.</summary>
    public int MapStart(int normalizedOffset)
    {
        if (normalizedOffset >= _normalizedBytes)
        {
            return _originalBytes;
        }
        var entry = _entries[Find(normalizedOffset, inclusiveEnd: false)];
        return entry.Changed ? entry.OriginalStart : entry.OriginalStart + (normalizedOffset - entry.NormalizedStart);
    }

    /// <summary>Where a token ending at <paramref name="normalizedOffset"/> ends in the input: the end of the input it came from.</summary>
    public int MapStop(int normalizedOffset)
    {
        if (normalizedOffset <= 0)
        {
            return 0;
        }
        var index = Find(normalizedOffset, inclusiveEnd: true);
        var entry = _entries[index];
        if (!entry.Changed)
        {
            return entry.OriginalStart + (normalizedOffset - entry.NormalizedStart);
        }
        return index + 1 < _entries.Count ? _entries[index + 1].OriginalStart : _originalBytes;
    }

    /// <summary>The entry holding the byte at <paramref name="offset"/> (or, for an end, the byte before it).</summary>
    private int Find(int offset, bool inclusiveEnd)
    {
        int low = 0, high = _entries.Count - 1;
        while (low < high)
        {
            var middle = (low + high + 1) / 2;
            var start = _entries[middle].NormalizedStart;
            if (inclusiveEnd ? start < offset : start <= offset)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }
        return low;
    }

    private void Add(ReadOnlySpan<char> original, ReadOnlySpan<char> normalized)
    {
        // The characters normalization left alone at the piece's start and end map one to one.
        var prefix = original.CommonPrefixLength(normalized);
        if (prefix == original.Length && prefix == normalized.Length)
        {
            AddUnchanged(Encoding.UTF8.GetByteCount(original));
            return;
        }
        var suffix = 0;
        while (suffix < original.Length - prefix && suffix < normalized.Length - prefix
            && original[^(suffix + 1)] == normalized[^(suffix + 1)])
        {
            suffix++;
        }
        // A surrogate pair is never split between the unchanged and the changed part.
        if (prefix > 0 && char.IsHighSurrogate(original[prefix - 1]))
        {
            prefix--;
        }
        if (suffix > 0 && char.IsLowSurrogate(original[^suffix]))
        {
            suffix--;
        }
        AddUnchanged(Encoding.UTF8.GetByteCount(original[..prefix]));
        AddChanged(Encoding.UTF8.GetByteCount(original[prefix..^suffix]), Encoding.UTF8.GetByteCount(normalized[prefix..^suffix]));
        AddUnchanged(Encoding.UTF8.GetByteCount(original[^suffix..]));
    }

    private void AddUnchanged(int bytes)
    {
        if (bytes == 0)
        {
            return;
        }
        if (_entries.Count == 0 || _entries[^1].Changed)
        {
            _entries.Add(new Entry(_normalizedBytes, _originalBytes, Changed: false));
        }
        _normalizedBytes += bytes;
        _originalBytes += bytes;
    }

    private void AddChanged(int originalBytes, int normalizedBytes)
    {
        if (originalBytes == 0 && normalizedBytes == 0)
        {
            return;
        }
        // Consecutive changed parts stay separate: each maps to its own input.
        _entries.Add(new Entry(_normalizedBytes, _originalBytes, Changed: true));
        _normalizedBytes += normalizedBytes;
        _originalBytes += originalBytes;
    }

    private readonly record struct Entry(int NormalizedStart, int OriginalStart, bool Changed);
}
