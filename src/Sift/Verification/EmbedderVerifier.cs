using System.Globalization;
using System.Numerics.Tensors;
using Sift.Engine;
using Sift.Kernels;

namespace Sift.Verification;

/// <summary>
/// Checks an embedding model for the faults a broken conversion shows: non-finite outputs, a wrong
/// end-of-text convention, results that change with batching, and (for Qwen3-Embedding-0.6B)
/// numbers away from the model card's.
/// </summary>
public static class EmbedderVerifier
{
    private const string EndOfText = "<|endoftext|>";
    private const string OfficialTitle = "Qwen3-Embedding-0.6B model card numbers";

    /// <summary>Runs every check on the model card's example inputs.</summary>
    /// <param name="embedder">The model to check.</param>
    /// <param name="skipOfficial">Report the model-card comparison as skipped (a fine-tune of 0.6B is not meant to match it).</param>
    public static IReadOnlyList<VerificationCheck> Verify(Embedder embedder, bool skipOfficial = false)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        EmbeddingInput[] inputs =
        [
            .. ModelCardExample.Queries.Select(q => EmbeddingInput.Query(q)),
            .. ModelCardExample.Documents.Select(EmbeddingInput.Document),
        ];
        var options = new EmbedOptions();
        var sequences = inputs.Select((input, i) => embedder.Tokenize(input, i, options)).ToArray();
        var batched = embedder.ComputePooled(sequences);
        return
        [
            Finite(embedder, batched),
            EndOfTextConvention(embedder, inputs, sequences),
            BatchInvariance(embedder, sequences, batched),
            OfficialExample(embedder, batched, skipOfficial),
        ];
    }

    private static VerificationCheck Finite(Embedder embedder, float[][] pooled)
    {
        const string title = "outputs are finite";
        for (var i = 0; i < pooled.Length; i++)
        {
            var bad = pooled[i].Count(v => !float.IsFinite(v));
            if (bad > 0)
            {
                return new(embedder.Name, "finite", title, CheckOutcome.Fail,
                    $"input {i}: {bad} of {pooled[i].Length} components are NaN or infinite (corrupt weights, or a conversion that overflowed)");
            }
            if (TensorPrimitives.Norm(pooled[i]) == 0)
            {
                return new(embedder.Name, "finite", title, CheckOutcome.Fail, $"input {i}: the pooled vector is all zeros, so it has no direction");
            }
        }
        return new(embedder.Name, "finite", title, CheckOutcome.Pass, $"{pooled.Length} inputs: every component finite, no zero vector");
    }

    private static VerificationCheck EndOfTextConvention(Embedder embedder, EmbeddingInput[] inputs, int[][] sequences)
    {
        const string title = "one trailing <|endoftext|>";
        var tokenizer = embedder.Tokenizer;
        var problems = new List<string>();
        if (tokenizer.TokenToId(EndOfText) is not { } endOfText)
        {
            return new(embedder.Name, "eos", title, CheckOutcome.Fail, $"the tokenizer has no {EndOfText} token");
        }
        if (!tokenizer.IsSpecial(endOfText))
        {
            problems.Add($"{EndOfText} ({endOfText}) is not a special token, so text can produce it by accident");
        }
        if (tokenizer.PrefixIds.Count > 0)
        {
            problems.Add($"the tokenizer's template puts [{Describe(embedder, tokenizer.PrefixIds)}] before every input; Qwen3 has no BOS");
        }
        var suffix = tokenizer.SuffixIds;
        var templateNote = suffix.Count switch
        {
            0 => $"the tokenizer's template appends nothing (an older revision), Sift appends {EndOfText}",
            1 when suffix[0] == endOfText => $"the tokenizer's template appends it",
            _ => null,
        };
        if (templateNote is null)
        {
            problems.Add($"the tokenizer's template appends [{Describe(embedder, suffix)}] instead of one {EndOfText} ({endOfText}): "
                + "runtimes that apply tokenizer.json's template pool on the wrong token (Sift's own input is checked separately below)");
        }
        for (var i = 0; i < sequences.Length; i++)
        {
            var content = new List<int>();
            tokenizer.EncodeContent(inputs[i].PromptText!, content);
            var sequence = sequences[i];
            if (sequence.Length < 2 || sequence[^1] != endOfText || sequence[^2] == endOfText || !sequence.AsSpan(0, sequence.Length - 1).SequenceEqual(content.ToArray()))
            {
                problems.Add($"input {i} reaches the model as [..., {Describe(embedder, sequence[Math.Max(0, sequence.Length - 3)..])}], not its text's tokens and one {EndOfText}");
            }
        }
        return problems.Count > 0
            ? new(embedder.Name, "eos", title, CheckOutcome.Fail, string.Join("; ", problems))
            : new(embedder.Name, "eos", title, CheckOutcome.Pass, $"{sequences.Length} inputs end in exactly one {EndOfText} ({endOfText}); {templateNote}");
    }

    private static VerificationCheck BatchInvariance(Embedder embedder, int[][] sequences, float[][] batched)
    {
        const string title = "batched = alone, bit for bit";
        for (var i = 0; i < sequences.Length; i++)
        {
            var alone = embedder.ComputePooled([sequences[i]])[0];
            var differing = alone.Where((v, c) => BitConverter.SingleToInt32Bits(v) != BitConverter.SingleToInt32Bits(batched[i][c])).Count();
            if (differing > 0)
            {
                var largest = alone.Select((v, c) => Math.Abs((double)v - batched[i][c])).Max();
                return new(embedder.Name, "batch-invariance", title, CheckOutcome.Fail,
                    $"input {i} ({sequences[i].Length} tokens) alone differs from its batched vector in {differing} of {alone.Length} components (largest |Δ| {largest:G3})");
            }
        }
        return new(embedder.Name, "batch-invariance", title, CheckOutcome.Pass,
            $"{sequences.Length} inputs of {sequences.Min(s => s.Length)}-{sequences.Max(s => s.Length)} tokens: each alone equals its vector in the batch of all");
    }

    private static VerificationCheck OfficialExample(Embedder embedder, float[][] pooled, bool skip)
    {
        if (skip)
        {
            return new(embedder.Name, "official-example", OfficialTitle, CheckOutcome.Skipped, "skipped on request (--skip-official)");
        }
        var config = embedder.Model.Config;
        var release = Qwen3Release.Recognise(config);
        if (release?.Size != "0.6B")
        {
            var shape = release is null ? $"its shape ({Qwen3Release.Describe(config)}) is no Qwen3-Embedding release's" : $"it has the {release.Size} shape";
            return new(embedder.Name, "official-example", OfficialTitle, CheckOutcome.Skipped,
                $"not Qwen3-Embedding-0.6B ({Qwen3Release.All[0]}): {shape}; the published numbers Sift carries are 0.6B's");
        }
        var queries = ModelCardExample.Queries.Count;
        var documents = ModelCardExample.Documents.Count;
        var measured = new double[queries, documents];
        for (var q = 0; q < queries; q++)
        {
            var query = Embedder.Finish(pooled[q], null, normalize: true);
            for (var d = 0; d < documents; d++)
            {
                measured[q, d] = TensorPrimitives.Dot(query, Embedder.Finish(pooled[queries + d], null, normalize: true));
            }
        }
        return CompareWithModelCard(embedder.Name, measured, embedder.Model.WeightFormat == WeightFormat.Int8);
    }

    /// <summary>Compares measured query–document similarities with the 0.6B card's, within the tolerance of the weights' precision.</summary>
    internal static VerificationCheck CompareWithModelCard(string model, double[,] measured, bool int8)
    {
        var expected = ModelCardExample.Embedding06BSimilarities;
        var largest = 0.0;
        for (var q = 0; q < expected.GetLength(0); q++)
        {
            for (var d = 0; d < expected.GetLength(1); d++)
            {
                largest = Math.Max(largest, Math.Abs(measured[q, d] - expected[q, d]));
            }
        }
        var tolerance = int8 ? ModelCardExample.Int8Tolerance : ModelCardExample.FloatTolerance;
        var detail = $"{Matrix(measured)} vs published {Matrix(expected)}: largest |Δ| {largest.ToString("G3", CultureInfo.InvariantCulture)}, "
            + $"limit {tolerance.ToString(CultureInfo.InvariantCulture)} ({(int8 ? "int8" : "float")} weights)";
        return largest <= tolerance
            ? new(model, "official-example", OfficialTitle, CheckOutcome.Pass, detail)
            : new(model, "official-example", OfficialTitle, CheckOutcome.Fail,
                detail + "; a fine-tune (or a Qwen3-Reranker-0.6B, which has this shape) is not meant to match: --skip-official");
    }

    private static string Matrix(double[,] values)
    {
        var rows = Enumerable.Range(0, values.GetLength(0))
            .Select(r => "[" + string.Join(", ", Enumerable.Range(0, values.GetLength(1)).Select(c => values[r, c].ToString("F4", CultureInfo.InvariantCulture))) + "]");
        return "[" + string.Join(", ", rows) + "]";
    }

    private static string Describe(Embedder embedder, IEnumerable<int> ids) =>
        string.Join(", ", ids.Select(id => $"{id} {embedder.Tokenizer.Decode([id])}"));
}
