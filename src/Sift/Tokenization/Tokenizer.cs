using System.Runtime.InteropServices;
using System.Text;

namespace Sift.Tokenization;

/// <summary>
/// A byte-level BPE tokenizer as described by a Hugging Face tokenizer.json (Qwen2/Qwen3 and
/// other GPT-2 style vocabularies): added tokens recognised in text, normalizer, split
/// pre-tokenizer, BPE, and the post-processor's template. Thread-safe.
/// </summary>
public sealed partial class Tokenizer
{
    private readonly BpeModel _model;
    private readonly AddedTokenMatcher _rawAddedTokens;
    private readonly AddedTokenMatcher _normalizedAddedTokens;
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly Dictionary<string, int> _idByToken;
    private readonly TextNormalizer _normalizer;
    private readonly PreTokenizer _preTokenizer;
    private readonly bool _addPrefixSpace;
    private readonly int[] _prefixIds;
    private readonly int[] _suffixIds;

    internal Tokenizer(
        BpeModel model,
        IReadOnlyDictionary<string, int> vocab,
        IReadOnlyList<AddedToken> addedTokens,
        TextNormalizer normalizer,
        PreTokenizer preTokenizer,
        bool addPrefixSpace,
        int[] prefixIds,
        int[] suffixIds)
    {
        _model = model;
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        _addPrefixSpace = addPrefixSpace;
        _prefixIds = prefixIds;
        _suffixIds = suffixIds;
        AddedTokens = addedTokens;
        _addedById = addedTokens.GroupBy(t => t.Id).ToDictionary(g => g.Key, g => g.First());
        _rawAddedTokens = new AddedTokenMatcher(addedTokens.Where(t => !t.Normalized));
        _normalizedAddedTokens = new AddedTokenMatcher(addedTokens.Where(t => t.Normalized));
        _idByToken = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        foreach (var token in addedTokens)
        {
            _idByToken[token.Content] = token.Id;
        }
        VocabularySize = Math.Max(model.IdCount, addedTokens.Count == 0 ? 0 : addedTokens.Max(t => t.Id) + 1);
    }

    /// <summary>The number of token ids, model vocabulary and added tokens together.</summary>
    public int VocabularySize { get; }

    /// <summary>The tokens added on top of the BPE vocabulary.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>Ids the post-processor puts before the text (none for Qwen).</summary>
    public IReadOnlyList<int> PrefixIds => _prefixIds;

    /// <summary>Ids the post-processor puts after the text (<c>&lt;|endoftext|&gt;</c> for current Qwen3-Embedding).</summary>
    public IReadOnlyList<int> SuffixIds => _suffixIds;

    /// <summary>Encodes text; with <paramref name="addSpecialTokens"/> the post-processor's template is applied.</summary>
    public int[] Encode(string text, bool addSpecialTokens = true) => Encode(text, addSpecialTokens, int.MaxValue);

    /// <summary>
    /// Encodes text and keeps at most <paramref name="maxLength"/> ids, template included: the text's
    /// ids are cut from the end so that the template's own ids always fit (Hugging Face's rule).
    /// </summary>
    public int[] Encode(string text, bool addSpecialTokens, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        var templateLength = addSpecialTokens ? _prefixIds.Length + _suffixIds.Length : 0;
        if (maxLength < templateLength)
        {
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"maxLength must leave room for the {templateLength} template tokens");
        }
        var ids = new List<int>(text.Length / 3 + 8);
        if (addSpecialTokens)
        {
            ids.AddRange(_prefixIds);
        }
        var contentStart = ids.Count;
        EncodeContent(text, ids);
        var contentLimit = maxLength - templateLength;
        if (ids.Count - contentStart > contentLimit)
        {
            ids.RemoveRange(contentStart + contentLimit, ids.Count - contentStart - contentLimit);
        }
        if (addSpecialTokens)
        {
            ids.AddRange(_suffixIds);
        }
        return ids.ToArray();
    }

    /// <summary>Appends the ids of <paramref name="text"/> without any template tokens.</summary>
    public void EncodeContent(ReadOnlySpan<char> text, List<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        EncodeContent(text, ids, new EncodeLimit(int.MaxValue, Prune: false));
    }

    /// <summary>
    /// Appends the ids of <paramref name="text"/> (no template tokens) when it has at most
    /// <paramref name="maxTokens"/> of them, and returns true: the ids are then exactly
    /// <see cref="EncodeContent(ReadOnlySpan{char}, List{int})"/>'s. Returns false as soon as the
    /// text provably has more, from the ids encoded so far or from a lower bound on the next
    /// piece's (<see cref="BpeModel.MinimumTokens"/>); <paramref name="ids"/> then holds some of the
    /// text's first ids, for the caller to discard. For callers that refuse long inputs: the work
    /// stops where the answer is known.
    /// </summary>
    public bool TryEncodeContent(ReadOnlySpan<char> text, List<int> ids, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        return EncodeContent(text, ids, new EncodeLimit((int)Math.Min(int.MaxValue, (long)ids.Count + maxTokens), Prune: true));
    }

    /// <summary>
    /// How far a caller that refuses texts over <paramref name="limit"/> tokens counts them (for
    /// <see cref="TryEncodeContent"/>): twice the limit, at least 65,536. A text up to that is named
    /// with its exact count, as it always was; past it the caller says "more than", having encoded
    /// at most what a valid input costs twice (a few milliseconds of prose) plus one piece.
    /// </summary>
    public static int RefusalCount(int limit) => (int)Math.Clamp(2L * limit, 65_536, int.MaxValue);

    /// <summary>
    /// Appends the first ids of <paramref name="text"/> (no template tokens): all of them when there
    /// are at most <paramref name="maxTokens"/>, and returns true; otherwise stops after the piece
    /// that takes it past <paramref name="maxTokens"/> and returns false, with at least
    /// <paramref name="maxTokens"/> + 1 ids appended. Those are exactly the first ids of the whole
    /// text's encoding (the whole text is normalized and split first; only later pieces are skipped),
    /// so a caller that truncates from the end gets what encoding everything and cutting gives.
    /// </summary>
    public bool EncodeContentPrefix(ReadOnlySpan<char> text, List<int> ids, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        return EncodeContent(text, ids, new EncodeLimit((int)Math.Min(int.MaxValue, (long)ids.Count + maxTokens), Prune: false));
    }

    /// <summary>Encodes until <paramref name="ids"/> holds more than <see cref="EncodeLimit.MaxCount"/> ids; false when it stopped early.</summary>
    private bool EncodeContent(ReadOnlySpan<char> text, List<int> ids, EncodeLimit limit)
    {
        var pieces = new List<Range>();
        var position = 0;
        var prefixSpacePending = _addPrefixSpace;
        while (position < text.Length)
        {
            var found = _rawAddedTokens.TryFindNext(text, position, out var match, out var token);
            var segmentEnd = found ? match.Start.Value : text.Length;
            if (!EncodeNormalizedSegment(text[position..segmentEnd], ids, pieces, ref prefixSpacePending, limit))
            {
                return false;
            }
            if (!found)
            {
                break;
            }
            ids.Add(token.Id);
            if (ids.Count > limit.MaxCount)
            {
                return false;
            }
            position = match.End.Value;
        }
        return true;
    }

    /// <summary>Counts the ids <see cref="Encode(string, bool)"/> would return.</summary>
    public int CountTokens(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 8);
        EncodeContent(text, ids);
        return ids.Count + (addSpecialTokens ? _prefixIds.Length + _suffixIds.Length : 0);
    }

    /// <summary>Decodes ids to text; invalid UTF-8 from partial byte tokens becomes U+FFFD.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not a token of this tokenizer.</exception>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var bytes = new List<byte>(ids.Length * 4);
        foreach (var id in ids)
        {
            if (_addedById.TryGetValue(id, out var added))
            {
                if (!(skipSpecialTokens && added.Special))
                {
                    bytes.AddRange(Encoding.UTF8.GetBytes(added.Content));
                }
                continue;
            }
            var tokenBytes = _model.GetBytes(id)
                ?? throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id {id} is not in the vocabulary (0..{VocabularySize - 1})");
            bytes.AddRange(tokenBytes);
        }
        return Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(bytes));
    }

    /// <summary>The id of a vocabulary or added token written in its vocabulary form, if any.</summary>
    public int? TokenToId(string token) => _idByToken.TryGetValue(token, out var id) ? id : null;

    /// <summary>Whether an id is a special added token (such as <c>&lt;|im_end|&gt;</c>).</summary>
    public bool IsSpecial(int id) => _addedById.TryGetValue(id, out var token) && token.Special;

    private bool EncodeNormalizedSegment(ReadOnlySpan<char> segment, List<int> ids, List<Range> pieces, ref bool prefixSpacePending, EncodeLimit limit)
    {
        if (segment.IsEmpty)
        {
            return true;
        }
        var normalized = _normalizer.Apply(segment);
        if (_normalizedAddedTokens.IsEmpty)
        {
            return EncodePieces(normalized, ids, pieces, ref prefixSpacePending, limit);
        }
        var position = 0;
        while (position < normalized.Length)
        {
            var found = _normalizedAddedTokens.TryFindNext(normalized, position, out var match, out var token);
            var end = found ? match.Start.Value : normalized.Length;
            if (!EncodePieces(normalized[position..end], ids, pieces, ref prefixSpacePending, limit))
            {
                return false;
            }
            if (!found)
            {
                break;
            }
            ids.Add(token.Id);
            if (ids.Count > limit.MaxCount)
            {
                return false;
            }
            position = match.End.Value;
        }
        return true;
    }

    private bool EncodePieces(ReadOnlySpan<char> text, List<int> ids, List<Range> pieces, ref bool prefixSpacePending, EncodeLimit limit)
    {
        if (text.IsEmpty)
        {
            return true;
        }
        if (prefixSpacePending)
        {
            prefixSpacePending = false;
            if (text[0] != ' ')
            {
                return EncodePieces(string.Concat(" ", text), ids, pieces, ref prefixSpacePending, limit);
            }
        }
        pieces.Clear();
        _preTokenizer.Split(text, pieces);
        foreach (var piece in pieces)
        {
            if (ids.Count > limit.MaxCount
                || limit.Prune && (long)ids.Count + _model.MinimumTokens(text[piece]) > limit.MaxCount)
            {
                return false;
            }
            _model.Encode(text[piece], ids);
        }
        return ids.Count <= limit.MaxCount;
    }

    /// <summary>
    /// How far an encoding goes: until the list holds more than <paramref name="MaxCount"/> ids; with
    /// <paramref name="Prune"/>, also not into a piece whose lower bound already takes it past.
    /// </summary>
    private readonly record struct EncodeLimit(int MaxCount, bool Prune);
}
