using Microsoft.Extensions.AI;
using Sift.Engine.LongDocuments;
using Sift.Qwen3;
using Sift.Tokenization;

namespace Sift.Engine;

/// <summary>
/// Qwen3-Embedding: formats queries with their task, tokenizes, ensures exactly one trailing
/// &lt;|endoftext|&gt;, truncates or refuses long inputs, runs the decoder in packed batches, pools the
/// last token, and applies Matryoshka truncation and L2 normalization.
/// </summary>
public sealed class Embedder : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The smallest Matryoshka size the models are trained for.</summary>
    public const int MinDimensions = 32;

    private readonly LoadedModel _model;
    private readonly int _endOfText;

    internal Embedder(LoadedModel model)
    {
        _model = model;
        _endOfText = model.Tokenizer.TokenToId("<|endoftext|>")
            ?? throw new Checkpoints.CheckpointException($"{model.Name}: the tokenizer has no <|endoftext|> token, which Qwen3 embedding pools on");
        Metadata = new EmbeddingGeneratorMetadata("sift", defaultModelId: model.Name, defaultModelDimensions: Dimensions);
    }

    /// <summary>The name the model answers to.</summary>
    public string Name => _model.Name;

    /// <summary>The full embedding width (hidden_size).</summary>
    public int Dimensions => _model.Model.Config.HiddenSize;

    /// <summary>The longest input in tokens, end-of-text included.</summary>
    public int MaxLength => _model.MaxLength;

    /// <summary>The tokenizer.</summary>
    public Tokenizer Tokenizer => _model.Tokenizer;

    /// <summary>The decoder.</summary>
    public Qwen3Model Model => _model.Model;

    /// <summary>Describes this generator to Microsoft.Extensions.AI callers.</summary>
    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <summary>Loads an embedding model directory.</summary>
    public static Embedder Load(ModelOptions options) => new(LoadedModel.Load(options));

    /// <summary>Embeds inputs; results come back in input order.</summary>
    public IReadOnlyList<EmbeddingResult> Embed(IReadOnlyList<EmbeddingInput> inputs, EmbedOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        options ??= new EmbedOptions();
        if (inputs.Count == 0)
        {
            throw new SiftRequestException("the input list is empty; give at least one input", "input");
        }
        ValidateDimensions(options.Dimensions);
        var batch = Prepare(inputs, null, options);
        return batch.Finish(ComputePooled(batch.Sequences), options);
    }

    /// <summary>
    /// The sequences the model reads for inputs: each input's <see cref="Tokenize"/>d ids, or, when
    /// <see cref="EmbedOptions.Windows"/> is set, a document over the limit as one sequence per
    /// window (<see cref="WindowPlanner"/> over its content tokens, each window ending in &lt;|endoftext|&gt;).
    /// </summary>
    /// <param name="inputs">The inputs.</param>
    /// <param name="positions">Each input's position in the request, for error messages (null: their order here).</param>
    /// <param name="options">Length limit, truncation, windows.</param>
    /// <exception cref="SiftRequestException">An input is too long for the strategy, or the window settings do not fit the limit.</exception>
    public EmbeddingBatch Prepare(IReadOnlyList<EmbeddingInput> inputs, IReadOnlyList<int>? positions, EmbedOptions options)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(options);
        var maxLength = CheckedMaxLength(options);
        var sequences = new List<int[]>(inputs.Count);
        var first = new int[inputs.Count];
        var spans = new WindowSpan[]?[inputs.Count];
        var tokens = 0L;
        for (var i = 0; i < inputs.Count; i++)
        {
            var index = positions?[i] ?? i;
            first[i] = sequences.Count;
            if (options.Windows is not { } windows || inputs[i].IsQuery)
            {
                sequences.Add(Tokenize(inputs[i], index, options));
                tokens += sequences[^1].Length;
                CheckRequestTokens(tokens, options.Windows, index);
                continue;
            }
            var ids = Ids(inputs[i], index);
            // Each window holds limit − 1 content tokens, then the <|endoftext|> it is pooled on.
            var plan = WindowPlanner.Plan(ids.Count - 1, maxLength - 1, windows, index);
            spans[i] = plan;
            // Counted from the plan before any window is copied: the bound holds for the windows' arrays too.
            foreach (var span in plan)
            {
                tokens += span.Length + 1;
            }
            CheckRequestTokens(tokens, windows, index);
            if (plan.Length == 1)
            {
                sequences.Add(ids.ToArray());
                continue;
            }
            foreach (var span in plan)
            {
                var window = new int[span.Length + 1];
                ids.CopyTo(span.Start, window, 0, span.Length);
                window[^1] = _endOfText;
                sequences.Add(window);
            }
        }
        return new EmbeddingBatch(sequences.ToArray(), first, spans);
    }

    /// <summary>
    /// The token ids the model reads for one input: the prompt's ids, cut to the maximum length
    /// when truncation is on, ending in exactly one &lt;|endoftext|&gt;.
    /// </summary>
    /// <exception cref="SiftRequestException">The input is too long and truncation is off, or a token id is invalid.</exception>
    public int[] Tokenize(EmbeddingInput input, int index, EmbedOptions options)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        var maxLength = CheckedMaxLength(options);
        var ids = input.TokenIds is null && !(options.Truncate && options.TruncateFromStart)
            ? BoundedIds(input.PromptText!, index, options.Truncate, maxLength)
            : Ids(input, index);
        if (ids.Count > maxLength)
        {
            if (!options.Truncate)
            {
                throw new SiftRequestException(
                    $"input {index} has {ids.Count} tokens; the limit is {maxLength} (ask for truncation to cut it)", "input", "input_too_long");
            }
            // Keep maxLength - 1 content tokens (from the start, or from the end when asked), then <|endoftext|>.
            var content = ids.Count - 1;
            var keep = maxLength - 1;
            if (options.TruncateFromStart)
            {
                ids.RemoveRange(0, content - keep);
            }
            else
            {
                ids.RemoveRange(keep, content - keep);
            }
        }
        return ids.ToArray();
    }

    /// <summary>
    /// <see cref="Ids"/> for a text that is refused or cut from its end when too long: the text is
    /// encoded only as far as the answer needs, so a megabyte costs what its first tokens cost. A
    /// refused text is counted exactly up to <see cref="Tokenizer.RefusalCount"/> (the message names
    /// the count) and past that named as longer; a text cut from its end gets at least the first
    /// maxLength ids of its whole encoding (<see cref="Tokenizer.EncodeContentPrefix"/>) and its
    /// closing &lt;|endoftext|&gt;, which <see cref="Tokenize"/> then cuts as it cuts a whole encoding.
    /// </summary>
    private List<int> BoundedIds(string text, int index, bool truncate, int maxLength)
    {
        var ids = new List<int>(Math.Min(text.Length / 3, maxLength) + 2);
        var counted = Tokenizer.RefusalCount(maxLength);
        var whole = truncate ? Tokenizer.EncodeContentPrefix(text, ids, maxLength) : Tokenizer.TryEncodeContent(text, ids, counted);
        if (!truncate && !whole)
        {
            throw new SiftRequestException(
                $"input {index} has more than {counted} tokens; the limit is {maxLength} (ask for truncation to cut it)", "input", "input_too_long");
        }
        // A cut encoding always ends in the appended <|endoftext|> (its last id may be one the text itself holds).
        if (!whole || ids.Count == 0 || ids[^1] != _endOfText)
        {
            ids.Add(_endOfText);
        }
        return ids;
    }

    /// <summary>Refuses a chunk-mode request once its sequences, every window counted, read more than <see cref="WindowOptions.MaxTokens"/>.</summary>
    private static void CheckRequestTokens(long tokens, WindowOptions? windows, int index)
    {
        if (windows is not null && tokens > windows.MaxTokens)
        {
            throw new SiftRequestException(
                $"the inputs up to input {index} read {tokens} tokens in windows; the limit is {windows.MaxTokens} tokens per request (--max-window-tokens): send fewer or shorter inputs, or a smaller window_overlap",
                "input", "too_many_tokens");
        }
    }

    private int CheckedMaxLength(EmbedOptions options)
    {
        var maxLength = options.MaxLength ?? MaxLength;
        if (maxLength < 2 || maxLength > MaxLength)
        {
            throw new SiftRequestException($"max length {maxLength} is outside 2..{MaxLength}", "max_length");
        }
        return maxLength;
    }

    /// <summary>The input's whole ids, ending in exactly one &lt;|endoftext|&gt;.</summary>
    private List<int> Ids(EmbeddingInput input, int index)
    {
        ArgumentNullException.ThrowIfNull(input);
        List<int> ids;
        if (input.TokenIds is { } given)
        {
            ids = new List<int>(given.Count + 1);
            foreach (var id in given)
            {
                if ((uint)id >= (uint)Model.Config.VocabSize)
                {
                    throw new SiftRequestException($"input {index} holds token id {id}, outside the vocabulary (0..{Model.Config.VocabSize - 1})", "input");
                }
                ids.Add(id);
            }
        }
        else
        {
            ids = new List<int>(input.PromptText!.Length / 3 + 2);
            Tokenizer.EncodeContent(input.PromptText, ids);
        }
        // Current tokenizers append <|endoftext|> in their template and older ones do not; the model
        // was trained on sequences that end in exactly one, so add it only when it is not there.
        if (ids.Count == 0 || ids[^1] != _endOfText)
        {
            ids.Add(_endOfText);
        }
        return ids;
    }

    /// <summary>Runs the model and returns each sequence's pooled (final-normalized, not yet L2-normalized) state.</summary>
    public float[][] ComputePooled(IReadOnlyList<int[]> sequences) => _model.ComputeLastHidden(sequences);

    /// <summary>As <see cref="ComputePooled(IReadOnlyList{int[]})"/>; cancellation is checked between passes and layers.</summary>
    public float[][] ComputePooled(IReadOnlyList<ModelSequence> sequences, CancellationToken cancellationToken) =>
        _model.ComputeLastHidden(sequences, cancellationToken);

    /// <summary>Checks a Matryoshka size; null (full width) is always valid.</summary>
    /// <exception cref="SiftRequestException">The size is outside <see cref="MinDimensions"/>..<see cref="Dimensions"/>.</exception>
    public void ValidateDimensions(int? dimensions)
    {
        if (dimensions is { } d && (d < MinDimensions || d > Dimensions))
        {
            throw new SiftRequestException($"dimensions {d} is outside the valid range {MinDimensions}..{Dimensions}", "dimensions", "invalid_dimensions");
        }
    }

    /// <summary>Matryoshka truncation, then L2 normalization (truncate before normalize).</summary>
    public static float[] Finish(ReadOnlySpan<float> pooled, int? dimensions, bool normalize)
    {
        var vector = pooled[..(dimensions ?? pooled.Length)].ToArray();
        if (normalize)
        {
            var norm = System.Numerics.Tensors.TensorPrimitives.Norm(vector);
            if (norm > 0)
            {
                System.Numerics.Tensors.TensorPrimitives.Divide(vector, norm, vector);
            }
        }
        return vector;
    }

    /// <inheritdoc />
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var inputs = values.Select(EmbeddingInput.Document).ToArray();
        var results = Embed(inputs, new EmbedOptions { Dimensions = options?.Dimensions });
        var tokens = results.Sum(r => r.TokenCount);
        var embeddings = new GeneratedEmbeddings<Embedding<float>>(results.Select(r => new Embedding<float>(r.Vector) { ModelId = Name }))
        {
            Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens },
        };
        return Task.FromResult(embeddings);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(EmbeddingGeneratorMetadata) ? Metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <inheritdoc />
    public void Dispose() => _model.Dispose();
}
