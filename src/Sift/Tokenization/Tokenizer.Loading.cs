using System.Text;
using System.Text.Json;

namespace Sift.Tokenization;

public sealed partial class Tokenizer
{
    /// <summary>The file name of a Hugging Face tokenizer.</summary>
    public const string FileName = "tokenizer.json";

    /// <summary>Loads a tokenizer.json file, or the one inside a model directory.</summary>
    public static Tokenizer Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var file = Directory.Exists(path) ? Path.Combine(path, FileName) : path;
        if (!File.Exists(file))
        {
            throw new TokenizerException($"tokenizer file not found: {file}");
        }
        try
        {
            return Parse(File.ReadAllBytes(file));
        }
        catch (TokenizerException e)
        {
            throw new TokenizerException($"{file}: {e.Message}");
        }
    }

    /// <summary>Builds a tokenizer from the UTF-8 text of a tokenizer.json.</summary>
    public static Tokenizer Parse(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            throw new TokenizerException($"not valid JSON ({e.Message})");
        }
        using (document)
        {
            try
            {
                return Build(document.RootElement);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or KeyNotFoundException or ArgumentException)
            {
                // System.Text.Json's errors for a value of the wrong kind or text that is not UTF-8, and
                // the collections' for duplicate or missing keys: a malformed file, said plainly.
                throw new TokenizerException($"malformed tokenizer.json: {e.Message}");
            }
        }
    }

    private static Tokenizer Build(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
        {
            throw new TokenizerException("no 'model' object; this is not a Hugging Face tokenizer.json");
        }
        var (vocab, merges, ignoreMerges) = ReadBpeModel(model);
        var bpe = new BpeModel(vocab, merges, ignoreMerges);
        var addedTokens = ReadAddedTokens(root);
        var normalizer = ReadNormalizer(Property(root, "normalizer"));
        var (preTokenizer, addPrefixSpace) = ReadPreTokenizer(Property(root, "pre_tokenizer"));
        var idByToken = new Dictionary<string, int>(vocab);
        foreach (var token in addedTokens)
        {
            idByToken[token.Content] = token.Id;
        }
        var (prefix, suffix) = ReadPostProcessor(Property(root, "post_processor"), idByToken);
        return new Tokenizer(bpe, vocab, addedTokens, normalizer, preTokenizer, addPrefixSpace, prefix, suffix);
    }

    /// <summary>
    /// Builds a byte-level BPE tokenizer from a GGUF-style vocabulary: token strings by id, their
    /// types (1 normal, 3 control, 4 user-defined, 5 unused), merges as "a b", the pre-tokenizer
    /// name ("qwen2" or "gpt2"), and the ids put before and after every encoded text.
    /// </summary>
    public static Tokenizer FromVocabulary(IReadOnlyList<string> tokens, IReadOnlyList<int> tokenTypes, IReadOnlyList<string> merges,
        string preTokenizer, int[] prefixIds, int[] suffixIds)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(tokenTypes);
        ArgumentNullException.ThrowIfNull(merges);
        if (tokenTypes.Count != tokens.Count)
        {
            throw new TokenizerException($"{tokens.Count} tokens but {tokenTypes.Count} token types");
        }
        const int normal = 1, control = 3, userDefined = 4;
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var added = new List<AddedToken>();
        for (var id = 0; id < tokens.Count; id++)
        {
            switch (tokenTypes[id])
            {
                case normal:
                    vocab[tokens[id]] = id;
                    break;
                case control or userDefined:
                    added.Add(new AddedToken(id, tokens[id], Special: tokenTypes[id] == control, Normalized: false, false, false, false));
                    break;
            }
        }
        var mergePairs = merges.Select(SplitMerge).ToList();
        PreTokenizer splitter = preTokenizer switch
        {
            "qwen2" => Qwen2PreTokenizer.Instance,
            "gpt2" or "default" => new RegexPreTokenizer(RegexPreTokenizer.Gpt2Pattern),
            _ => throw new TokenizerException($"pre-tokenizer '{preTokenizer}' is not supported (qwen2, gpt2)"),
        };
        // Qwen's tokenizer.json normalizes to NFC; GGUF keeps no normalizer, so it is implied by the pre-tokenizer.
        var normalizer = preTokenizer == "qwen2" ? new TextNormalizer([NormalizationForm.FormC], lowercase: false) : TextNormalizer.None;
        return new Tokenizer(new BpeModel(vocab, mergePairs, ignoreMerges: false), vocab, added, normalizer, splitter, addPrefixSpace: false,
            prefixIds, suffixIds);
    }

    private static JsonElement? Property(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static string? TypeOf(JsonElement element) =>
        element.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString() : null;

    private static (Dictionary<string, int> Vocab, List<(string, string)> Merges, bool IgnoreMerges) ReadBpeModel(JsonElement model)
    {
        var type = TypeOf(model);
        if (type is not (null or "BPE"))
        {
            throw new TokenizerException($"model type '{type}' is not supported; Sift reads byte-level BPE tokenizers");
        }
        if (model.TryGetProperty("byte_fallback", out var byteFallback) && byteFallback.ValueKind == JsonValueKind.True)
        {
            throw new TokenizerException("BPE with byte_fallback (SentencePiece style) is not supported; Sift reads byte-level BPE tokenizers");
        }
        if (!model.TryGetProperty("vocab", out var vocabElement) || vocabElement.ValueKind != JsonValueKind.Object)
        {
            throw new TokenizerException("model.vocab is missing or not an object");
        }
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabElement.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out var id) || id < 0)
            {
                throw new TokenizerException($"model.vocab['{entry.Name}'] is not a non-negative integer id");
            }
            vocab[entry.Name] = id;
        }

        var merges = new List<(string, string)>();
        if (model.TryGetProperty("merges", out var mergesElement) && mergesElement.ValueKind == JsonValueKind.Array)
        {
            foreach (var merge in mergesElement.EnumerateArray())
            {
                merges.Add(ReadMerge(merge, merges.Count));
            }
        }
        var ignoreMerges = model.TryGetProperty("ignore_merges", out var ignore) && ignore.ValueKind == JsonValueKind.True;
        return (vocab, merges, ignoreMerges);
    }

    private static (string, string) ReadMerge(JsonElement merge, int index)
    {
        switch (merge.ValueKind)
        {
            case JsonValueKind.String:
                return SplitMerge(merge.GetString()!, index);
            case JsonValueKind.Array when merge.GetArrayLength() == 2
                && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String:
                return (merge[0].GetString()!, merge[1].GetString()!);
        }
        throw new TokenizerException($"model.merges[{index}] is neither \"a b\" nor [\"a\", \"b\"]");
    }

    /// <summary>A merge written "a b": the two parts around the first space after the first character.</summary>
    private static (string, string) SplitMerge(string text, int index)
    {
        var space = text.Length > 1 ? text.IndexOf(' ', 1) : -1;
        return space > 0 && space < text.Length - 1
            ? (text[..space], text[(space + 1)..])
            : throw new TokenizerException($"merge {index} ('{text}') is not \"a b\"");
    }

    private static List<AddedToken> ReadAddedTokens(JsonElement root)
    {
        var tokens = new List<AddedToken>();
        if (Property(root, "added_tokens") is not { ValueKind: JsonValueKind.Array } array)
        {
            return tokens;
        }
        foreach (var item in array.EnumerateArray())
        {
            if (!item.TryGetProperty("id", out var id) || !id.TryGetInt32(out var idValue)
                || !item.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
            {
                throw new TokenizerException($"added_tokens[{tokens.Count}] needs an integer 'id' and a string 'content'");
            }
            bool Flag(string name, bool fallback) =>
                item.TryGetProperty(name, out var flag) ? flag.ValueKind == JsonValueKind.True : fallback;
            tokens.Add(new AddedToken(idValue, content.GetString()!, Flag("special", false), Flag("normalized", true),
                Flag("lstrip", false), Flag("rstrip", false), Flag("single_word", false)));
        }
        return tokens;
    }

    private static TextNormalizer ReadNormalizer(JsonElement? element)
    {
        if (element is null)
        {
            return TextNormalizer.None;
        }
        var forms = new List<NormalizationForm>();
        var lowercase = false;
        void Add(JsonElement normalizer)
        {
            switch (TypeOf(normalizer))
            {
                case "NFC": forms.Add(NormalizationForm.FormC); break;
                case "NFD": forms.Add(NormalizationForm.FormD); break;
                case "NFKC": forms.Add(NormalizationForm.FormKC); break;
                case "NFKD": forms.Add(NormalizationForm.FormKD); break;
                case "Lowercase": lowercase = true; break;
                case "Sequence":
                    foreach (var inner in normalizer.GetProperty("normalizers").EnumerateArray())
                    {
                        Add(inner);
                    }
                    break;
                case var other:
                    throw new TokenizerException($"normalizer type '{other}' is not supported");
            }
        }
        Add(element.Value);
        return new TextNormalizer(forms, lowercase);
    }

    private static (PreTokenizer, bool AddPrefixSpace) ReadPreTokenizer(JsonElement? element)
    {
        if (element is null)
        {
            throw new TokenizerException("pre_tokenizer is missing; a byte-level BPE tokenizer needs a ByteLevel pre-tokenizer");
        }
        var splitPatterns = new List<string>();
        var byteLevelSeen = false;
        var byteLevelUsesRegex = false;
        var addPrefixSpace = false;
        void Add(JsonElement preTokenizer)
        {
            switch (TypeOf(preTokenizer))
            {
                case "Sequence":
                    foreach (var inner in preTokenizer.GetProperty("pretokenizers").EnumerateArray())
                    {
                        Add(inner);
                    }
                    break;
                case "Split":
                    var behavior = preTokenizer.TryGetProperty("behavior", out var b) ? b.GetString() : "Isolated";
                    var invert = preTokenizer.TryGetProperty("invert", out var inv) && inv.ValueKind == JsonValueKind.True;
                    if (behavior != "Isolated" || invert)
                    {
                        throw new TokenizerException($"Split pre-tokenizer with behavior '{behavior}'{(invert ? " and invert" : "")} is not supported; only Isolated");
                    }
                    var pattern = preTokenizer.GetProperty("pattern");
                    splitPatterns.Add(pattern.TryGetProperty("Regex", out var regex) ? regex.GetString()!
                        : System.Text.RegularExpressions.Regex.Escape(pattern.GetProperty("String").GetString()!));
                    break;
                case "ByteLevel":
                    byteLevelSeen = true;
                    byteLevelUsesRegex = !preTokenizer.TryGetProperty("use_regex", out var useRegex) || useRegex.ValueKind == JsonValueKind.True;
                    addPrefixSpace = preTokenizer.TryGetProperty("add_prefix_space", out var aps) && aps.ValueKind == JsonValueKind.True;
                    break;
                case var other:
                    throw new TokenizerException($"pre_tokenizer type '{other}' is not supported");
            }
        }
        Add(element.Value);
        if (!byteLevelSeen)
        {
            throw new TokenizerException("pre_tokenizer has no ByteLevel step; only byte-level BPE tokenizers are supported");
        }
        if (byteLevelUsesRegex)
        {
            splitPatterns.Add(RegexPreTokenizer.Gpt2Pattern);
        }
        PreTokenizer result = splitPatterns switch
        {
            [Qwen2PreTokenizer.Pattern] => Qwen2PreTokenizer.Instance,
            [var single] => new RegexPreTokenizer(single),
            [] => new RegexPreTokenizer(@"[\s\S]+"),
            _ => throw new TokenizerException($"{splitPatterns.Count} chained split patterns are not supported; one is"),
        };
        return (result, addPrefixSpace);
    }

    private static (int[] Prefix, int[] Suffix) ReadPostProcessor(JsonElement? element, Dictionary<string, int> idByToken)
    {
        var prefix = new List<int>();
        var suffix = new List<int>();
        void Add(JsonElement processor)
        {
            switch (TypeOf(processor))
            {
                case "ByteLevel":
                    break;
                case "Sequence":
                    foreach (var inner in processor.GetProperty("processors").EnumerateArray())
                    {
                        Add(inner);
                    }
                    break;
                case "TemplateProcessing":
                    ReadTemplate(processor, prefix, suffix, idByToken);
                    break;
                case var other:
                    throw new TokenizerException($"post_processor type '{other}' is not supported");
            }
        }
        if (element is not null)
        {
            Add(element.Value);
        }
        return (prefix.ToArray(), suffix.ToArray());
    }

    private static void ReadTemplate(JsonElement processor, List<int> prefix, List<int> suffix, Dictionary<string, int> idByToken)
    {
        var specialTokens = processor.TryGetProperty("special_tokens", out var specials) ? specials : default;
        var sequenceSeen = false;
        foreach (var item in processor.GetProperty("single").EnumerateArray())
        {
            if (item.TryGetProperty("Sequence", out _))
            {
                sequenceSeen = true;
                continue;
            }
            if (!item.TryGetProperty("SpecialToken", out var special))
            {
                throw new TokenizerException("post_processor.single holds an item that is neither Sequence nor SpecialToken");
            }
            var name = special.GetProperty("id").GetString()!;
            var ids = specialTokens.ValueKind == JsonValueKind.Object && specialTokens.TryGetProperty(name, out var definition)
                ? definition.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32())
                : idByToken.TryGetValue(name, out var id) ? [id]
                : throw new TokenizerException($"post_processor refers to special token '{name}', which is not defined");
            (sequenceSeen ? suffix : prefix).AddRange(ids);
        }
    }
}
