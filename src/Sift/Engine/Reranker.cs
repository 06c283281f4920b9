using System.Numerics.Tensors;
using Sift.Abstractions;
using Sift.Engine.LongDocuments;
using Sift.Qwen3;
using Sift.Tokenization;

namespace Sift.Engine;

/// <summary>
/// Qwen3-Reranker: builds the official chat template around instruction, query and document,
/// truncates the body to fit, runs the decoder, and scores P(yes) from two rows of lm_head
/// (the full vocabulary projection is never computed).
/// </summary>
public sealed class Reranker : IReranker, IDisposable
{
    /// <summary>The official code's default pair length.</summary>
    public const int DefaultMaxLength = 8192;

    private readonly LoadedModel _model;
    private readonly int[] _prefixIds;
    private readonly int[] _suffixIds;
    private readonly float[] _yesRow;
    private readonly float[] _noRow;

    internal Reranker(LoadedModel model)
    {
        _model = model;
        _prefixIds = model.Tokenizer.Encode(Prompts.RerankPrefix, addSpecialTokens: false);
        _suffixIds = model.Tokenizer.Encode(Prompts.RerankSuffix, addSpecialTokens: false);
        var yes = model.Tokenizer.TokenToId(Prompts.Yes)
            ?? throw new Checkpoints.CheckpointException($"{model.Name}: the tokenizer has no '{Prompts.Yes}' token");
        var no = model.Tokenizer.TokenToId(Prompts.No)
            ?? throw new Checkpoints.CheckpointException($"{model.Name}: the tokenizer has no '{Prompts.No}' token");
        if (model.ClassifierLabels is { } labels)
        {
            // A converted GGUF reranker keeps only lm_head's rows for its labels.
            int Row(string label) => labels.ToList().IndexOf(label) is >= 0 and var index ? index
                : throw new Checkpoints.CheckpointException($"{model.Name}: the classifier labels [{string.Join(", ", labels)}] lack '{label}'");
            _yesRow = model.Model.ClassifierRow(Row(Prompts.Yes));
            _noRow = model.Model.ClassifierRow(Row(Prompts.No));
        }
        else
        {
            _yesRow = model.Model.OutputRow(yes);
            _noRow = model.Model.OutputRow(no);
        }
    }

    /// <summary>The name the model answers to.</summary>
    public string Name => _model.Name;

    /// <summary>The longest query–document prompt in tokens.</summary>
    public int MaxLength => _model.MaxLength;

    /// <summary>The tokenizer.</summary>
    public Tokenizer Tokenizer => _model.Tokenizer;

    /// <summary>The decoder.</summary>
    public Qwen3Model Model => _model.Model;

    /// <summary>Tokens the template itself takes (prefix and suffix).</summary>
    public int TemplateTokenCount => _prefixIds.Length + _suffixIds.Length;

    /// <summary>Loads a reranker model directory; its maximum length defaults to <see cref="DefaultMaxLength"/>.</summary>
    public static Reranker Load(ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var model = LoadedModel.Load(options);
        return new Reranker(options.MaxLength is null && model.MaxLength > DefaultMaxLength ? model.WithMaxLength(DefaultMaxLength) : model);
    }

    /// <summary>Scores documents against one query; results come back in document order.</summary>
    public IReadOnlyList<RerankScore> Score(string query, IReadOnlyList<string> documents, RerankOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(documents);
        if (documents.Count == 0)
        {
            throw new SiftRequestException("the document list is empty; give at least one document", "documents");
        }
        options ??= new RerankOptions();
        var batch = Prepare(query, documents, null, options);
        return batch.Scores(ComputeHidden(batch.Sequences, CancellationToken.None));
    }

    /// <summary>
    /// The prompts of one query's documents as decoder sequences sharing the query's prefix: one
    /// per document (<see cref="BuildInputs"/>, the body cut to fit, or a document that does not
    /// fit refused when <see cref="RerankOptions.Truncate"/> is off), or, when
    /// <see cref="RerankOptions.Windows"/> is set, one per window of each document's tokens
    /// (<see cref="WindowPlanner"/> over the room the template, instruction and query leave).
    /// </summary>
    /// <param name="query">The query.</param>
    /// <param name="documents">The documents.</param>
    /// <param name="positions">Each document's position in the request, for error messages (null: their order here).</param>
    /// <param name="options">Instruction, maximum length, truncation, windows.</param>
    /// <exception cref="SiftRequestException">
    /// The maximum length is out of range; a document does not fit and truncation is off; in chunk
    /// mode no room is left for a window, or a document needs too many windows.
    /// </exception>
    public RerankBatch Prepare(string query, IReadOnlyList<string> documents, IReadOnlyList<int>? positions, RerankOptions options)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Windows is null && options.Truncate)
        {
            var whole = BuildInputs(query, documents, options);
            return new RerankBatch(this, Sequences(query, options, whole), Enumerable.Range(0, whole.Length).ToArray(), new WindowSpan[]?[whole.Length], 0);
        }
        var maxLength = CheckedMaxLength(options);
        var shared = SharedTokens(query, options);
        var room = maxLength - shared.Length - _suffixIds.Length;
        // Here the query is never cut (chunk and error modes): when it fills the limit, it is what to name.
        if (room < 1)
        {
            throw new SiftRequestException(
                $"the template, instruction and query take {shared.Length + _suffixIds.Length} tokens of the {maxLength}-token limit; no room is left for the document",
                "query", "input_too_long");
        }
        var prefix = new SharedPrefix(shared);
        var sequences = new List<ModelSequence>(documents.Count);
        var first = new int[documents.Count];
        var spans = new WindowSpan[]?[documents.Count];
        var content = new List<int>();
        // What the request reads: the shared prefix once, then each prompt's own tokens.
        var tokens = (long)shared.Length;
        for (var d = 0; d < documents.Count; d++)
        {
            ArgumentNullException.ThrowIfNull(documents[d], nameof(documents));
            content.Clear();
            var position = positions?[d] ?? d;
            if (options.Windows is null)
            {
                // Refused when too long: encoded only as far as that answer needs (see Tokenizer.RefusalCount).
                var counted = Tokenizer.RefusalCount(room);
                var whole = Tokenizer.TryEncodeContent(Prompts.RerankDocumentPart(documents[d]), content, counted);
                if (!whole || content.Count > room)
                {
                    var makes = whole ? $"{shared.Length + content.Count + _suffixIds.Length}" : $"more than {shared.Length + counted + _suffixIds.Length}";
                    throw new SiftRequestException(
                        $"document {position} makes a prompt of {makes} tokens; the limit is {maxLength} (ask for truncation to cut it)",
                        "documents", "input_too_long");
                }
            }
            else
            {
                Tokenizer.EncodeContent(Prompts.RerankDocumentPart(documents[d]), content);
            }
            WindowSpan[] plan = options.Windows is { } chunk ? WindowPlanner.Plan(content.Count, room, chunk, position) : [new WindowSpan(0, content.Count)];
            foreach (var span in plan)
            {
                tokens += span.Length + _suffixIds.Length;
            }
            if (options.Windows is { } limits && tokens > limits.MaxTokens)
            {
                throw new SiftRequestException(
                    $"the documents up to document {position} read {tokens} tokens in windows; the limit is {limits.MaxTokens} tokens per request (--max-window-tokens): send fewer or shorter documents, or a smaller window_overlap",
                    "documents", "too_many_tokens");
            }
            first[d] = sequences.Count;
            spans[d] = options.Windows is null ? null : plan;
            foreach (var span in plan)
            {
                // Only the prompt's own tokens are held; the shared prefix is held once for all.
                var own = new int[span.Length + _suffixIds.Length];
                content.CopyTo(span.Start, own, 0, span.Length);
                _suffixIds.CopyTo(own, span.Length);
                sequences.Add(new ModelSequence(own, prefix));
            }
        }
        return new RerankBatch(this, sequences.ToArray(), first, spans, shared.Length);
    }

    /// <summary>
    /// Final hidden states of prompts that all belong to one query (see <see cref="Sequences"/>),
    /// bitwise what each prompt gives alone.
    /// </summary>
    public float[][] ComputeHidden(string query, RerankOptions options, IReadOnlyList<int[]> prompts) =>
        ComputeHidden(Sequences(query, options, prompts), CancellationToken.None);

    /// <summary>Final hidden states of sequences, in token-budget passes; cancellation is checked between passes and layers.</summary>
    public float[][] ComputeHidden(IReadOnlyList<ModelSequence> sequences, CancellationToken cancellationToken) =>
        _model.ComputeLastHidden(sequences, cancellationToken);

    /// <summary>
    /// The prompts of one query as decoder sequences. The system prompt, instruction and query are
    /// the same tokens at the start of every prompt: they become one <see cref="SharedPrefix"/>,
    /// held and computed once per forward pass, and each prompt runs only its own tokens against
    /// its keys and values (bitwise the same result). A prompt whose tokens do not start with the
    /// shared ones (cut by truncation) runs whole.
    /// </summary>
    public ModelSequence[] Sequences(string query, RerankOptions options, IReadOnlyList<int[]> prompts)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(prompts);
        var shared = SharedTokens(query, options);
        var prefix = new SharedPrefix(shared);
        return prompts.Select(p => p.Length > shared.Length && p.AsSpan(0, shared.Length).SequenceEqual(shared)
            ? new ModelSequence(p[shared.Length..], prefix)
            : new ModelSequence(p)).ToArray();
    }

    /// <summary>
    /// How many tokens the prompts of <paramref name="query"/> share (<see cref="Sequences"/> holds
    /// them once): the template's start, the instruction and the query; 0 when the maximum length
    /// cuts into them, and then no prompt shares anything.
    /// </summary>
    public int SharedPrefixLength(string query, RerankOptions options)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(options);
        var shared = SharedTokens(query, options).Length;
        return shared < (options.MaxLength ?? MaxLength) - _suffixIds.Length ? shared : 0;
    }

    /// <summary>The tokens every prompt of a query starts with: the template's prefix, the instruction, the query.</summary>
    private int[] SharedTokens(string query, RerankOptions options)
    {
        var shared = new List<int>(_prefixIds);
        Tokenizer.EncodeContent(Prompts.RerankSharedBody(query, options.Instruction), shared);
        return shared.ToArray();
    }

    /// <summary>
    /// The prompt's token ids: prefix + body + suffix, the body cut from its end so that the whole
    /// fits the maximum length (prefix and suffix are always kept whole).
    /// </summary>
    public int[] BuildInput(string query, string document, RerankOptions options) => BuildInputs(query, [document], options)[0];

    /// <summary>
    /// The prompts of several documents for one query, as <see cref="BuildInput"/> builds each. The
    /// part every prompt shares (template start, instruction, query) is tokenized once, not once per
    /// document: "&lt;Document&gt;:" ends a pre-tokenizer piece and the document's text starts the
    /// next one with its space, so the two parts' tokens are the whole body's tokens.
    /// </summary>
    public int[][] BuildInputs(string query, IReadOnlyList<string> documents, RerankOptions options)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(options);
        var maxLength = CheckedMaxLength(options);
        var shared = SharedTokens(query, options);
        var bodyLimit = maxLength - _suffixIds.Length;
        var prompts = new int[documents.Count][];
        var ids = new List<int>();
        for (var i = 0; i < documents.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(documents[i], nameof(documents));
            ids.Clear();
            ids.AddRange(shared);
            if (ids.Count < bodyLimit)
            {
                // Only the ids that survive the cut (and one more) are encoded: exactly the whole encoding's first ones.
                Tokenizer.EncodeContentPrefix(Prompts.RerankDocumentPart(documents[i]), ids, bodyLimit - ids.Count);
            }
            if (ids.Count > bodyLimit)
            {
                ids.RemoveRange(bodyLimit, ids.Count - bodyLimit);
            }
            ids.AddRange(_suffixIds);
            prompts[i] = ids.ToArray();
        }
        return prompts;
    }

    private int CheckedMaxLength(RerankOptions options)
    {
        var maxLength = options.MaxLength ?? MaxLength;
        if (maxLength <= TemplateTokenCount || maxLength > Model.Config.MaxPositionEmbeddings)
        {
            throw new SiftRequestException(
                $"max length {maxLength} is outside {TemplateTokenCount + 1}..{Model.Config.MaxPositionEmbeddings} (the template alone takes {TemplateTokenCount} tokens)",
                "max_length");
        }
        return maxLength;
    }

    /// <summary>Turns a final hidden state into logits and P(yes).</summary>
    public RerankScore ScoreHidden(int index, ReadOnlySpan<float> hidden, int tokenCount)
    {
        var yes = TensorPrimitives.Dot(_yesRow, hidden);
        var no = TensorPrimitives.Dot(_noRow, hidden);
        var score = (float)(1.0 / (1.0 + Math.Exp((double)no - yes)));
        return new RerankScore(index, score, yes, no, tokenCount);
    }

    /// <summary>Most relevant first, by <see cref="RerankScore.Logit"/> (scores that saturate at 1.0 keep their order); equal logits keep document order.</summary>
    public static IEnumerable<RerankScore> Rank(IEnumerable<RerankScore> scores) => scores.OrderByDescending(s => s.Logit).ThenBy(s => s.Index);

    /// <inheritdoc />
    public Task<IReadOnlyList<RerankResult>> RerankAsync(string query, IReadOnlyList<string> documents, RerankingOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        if (options?.ModelId is { } model && model != Name)
        {
            throw new SiftRequestException($"model '{model}' is not this reranker ('{Name}')", "model");
        }
        if (options?.TopN is < 1)
        {
            throw new SiftRequestException($"top_n must be at least 1, got {options.TopN}", "top_n");
        }
        var strategy = options?.LongDocuments ?? LongDocumentStrategy.Truncate;
        if (strategy != LongDocumentStrategy.Chunk && (options?.WindowOverlap is not null || options?.ReturnWindows == true))
        {
            throw new SiftRequestException($"window overlap and returned windows apply to the chunk strategy; this call's is {strategy}",
                options?.WindowOverlap is not null ? "window_overlap" : "return_windows");
        }
        var windows = strategy == LongDocumentStrategy.Chunk
            ? new WindowOptions { Overlap = options?.WindowOverlap, ReturnWindows = options?.ReturnWindows == true }.Validate()
            : null;
        var scores = Score(query, documents, new RerankOptions
        {
            Instruction = options?.Instruction,
            Truncate = strategy == LongDocumentStrategy.Truncate,
            Windows = windows,
        });
        IReadOnlyList<RerankResult> ranked = Rank(scores)
            .Take(options?.TopN ?? int.MaxValue)
            .Select(s => new RerankResult(s.Index, s.Score, options?.ReturnDocuments == true ? documents[s.Index] : null)
            {
                Window = windows is { ReturnWindows: true } ? s.Window : null,
            })
            .ToArray();
        return Task.FromResult(ranked);
    }

    /// <inheritdoc />
    public void Dispose() => _model.Dispose();
}
