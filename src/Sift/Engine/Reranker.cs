using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Sift.Abstractions;
using Sift.Qwen3;
using Sift.Telemetry;
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

    /// <summary>With a single document the shared part runs once anyway; sharing starts to save work at two.</summary>
    private const int MinPromptsToShare = 2;

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
        var sequences = documents.Select(d => BuildInput(query, d, options)).ToArray();
        var hidden = ComputeHidden(query, options, sequences);
        return hidden.Select((h, i) => ScoreHidden(i, h, sequences[i].Length)).ToArray();
    }

    /// <summary>
    /// Final hidden states of prompts that all belong to one query. The system prompt, instruction
    /// and query are the same tokens at the start of every prompt: they run once, and each
    /// document runs only its own tokens against their keys and values (bitwise the same result).
    /// A prompt whose tokens do not start with the shared ones (cut by truncation) runs whole.
    /// </summary>
    public float[][] ComputeHidden(string query, RerankOptions options, IReadOnlyList<int[]> prompts)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(prompts);
        var shared = new List<int>(_prefixIds);
        Tokenizer.EncodeContent(Prompts.RerankSharedBody(query, options.Instruction), shared);
        var sharing = prompts.Select(p => p.Length > shared.Count && p.AsSpan(0, shared.Count).SequenceEqual(CollectionsMarshal.AsSpan(shared))).ToArray();
        if (sharing.Count(s => s) < MinPromptsToShare)
        {
            return _model.ComputeLastHidden(prompts);
        }

        PrefixState prefix;
        using (SiftTelemetry.ActivitySource.StartActivity("sift.prefix")?.SetTag("sift.model", Name).SetTag("sift.prefix.tokens", shared.Count))
        {
            prefix = Model.ComputePrefix(shared);
        }
        var sharedIndices = Enumerable.Range(0, prompts.Count).Where(i => sharing[i]).ToArray();
        var wholeIndices = Enumerable.Range(0, prompts.Count).Where(i => !sharing[i]).ToArray();
        var results = new float[prompts.Count][];
        var sharedHidden = _model.ComputeLastHidden(sharedIndices.Select(i => prompts[i][shared.Count..]).ToArray(), prefix);
        for (var k = 0; k < sharedIndices.Length; k++)
        {
            results[sharedIndices[k]] = sharedHidden[k];
        }
        if (wholeIndices.Length > 0)
        {
            var wholeHidden = _model.ComputeLastHidden(wholeIndices.Select(i => prompts[i]).ToArray());
            for (var k = 0; k < wholeIndices.Length; k++)
            {
                results[wholeIndices[k]] = wholeHidden[k];
            }
        }
        return results;
    }

    /// <summary>
    /// The prompt's token ids: prefix + body + suffix, the body cut from its end so that the whole
    /// fits the maximum length (prefix and suffix are always kept whole).
    /// </summary>
    public int[] BuildInput(string query, string document, RerankOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var maxLength = options.MaxLength ?? MaxLength;
        if (maxLength <= TemplateTokenCount || maxLength > Model.Config.MaxPositionEmbeddings)
        {
            throw new SiftRequestException(
                $"max length {maxLength} is outside {TemplateTokenCount + 1}..{Model.Config.MaxPositionEmbeddings} (the template alone takes {TemplateTokenCount} tokens)",
                "max_length");
        }
        var ids = new List<int>(_prefixIds.Length + document.Length / 3 + 64);
        ids.AddRange(_prefixIds);
        Tokenizer.EncodeContent(Prompts.RerankBody(query, document, options.Instruction), ids);
        var bodyLimit = maxLength - _suffixIds.Length;
        if (ids.Count > bodyLimit)
        {
            ids.RemoveRange(bodyLimit, ids.Count - bodyLimit);
        }
        ids.AddRange(_suffixIds);
        return ids.ToArray();
    }

    /// <summary>Turns a final hidden state into logits and P(yes).</summary>
    public RerankScore ScoreHidden(int index, ReadOnlySpan<float> hidden, int tokenCount)
    {
        var yes = TensorPrimitives.Dot(_yesRow, hidden);
        var no = TensorPrimitives.Dot(_noRow, hidden);
        var score = (float)(1.0 / (1.0 + Math.Exp((double)no - yes)));
        return new RerankScore(index, score, yes, no, tokenCount);
    }

    /// <summary>Highest score first; equal scores keep document order.</summary>
    public static IEnumerable<RerankScore> Rank(IEnumerable<RerankScore> scores) => scores.OrderByDescending(s => s.Score).ThenBy(s => s.Index);

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
        var scores = Score(query, documents, new RerankOptions { Instruction = options?.Instruction });
        IReadOnlyList<RerankResult> ranked = Rank(scores)
            .Take(options?.TopN ?? int.MaxValue)
            .Select(s => new RerankResult(s.Index, s.Score, options?.ReturnDocuments == true ? documents[s.Index] : null))
            .ToArray();
        return Task.FromResult(ranked);
    }

    /// <inheritdoc />
    public void Dispose() => _model.Dispose();
}
