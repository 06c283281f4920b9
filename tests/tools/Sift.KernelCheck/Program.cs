using System.Runtime.InteropServices;
using System.Text.Json;
using Sift.Engine;
using Sift.Kernels;

// The fixtures' float64 references through the kernel path of this process (on ARM64: AdvSimd, SDOT),
// with the bars of tests/Sift.Tests (Engine/QuantizedModelTests and the fp32 reference tests).
// usage: Sift.KernelCheck --fixtures tests/fixtures [--expect-path arm64] [--expect-int8 SDOT]
// Prints one PASS/FAIL line per check and "N passed, M failed"; exits 1 when a check fails.
var fixtures = Argument("--fixtures") ?? throw new ArgumentException("--fixtures DIR (the repository's tests/fixtures) is required");
var expectedPath = Argument("--expect-path");
var expectedInt8 = Argument("--expect-int8");
var passed = 0;
var failed = 0;

var path = KernelPath.Current;
Console.WriteLine($"{RuntimeInformation.ProcessArchitecture}: kernel path {path}");
if (expectedPath is not null)
{
    Check($"kernel path is {expectedPath}", path.Name == expectedPath, path.Name);
}
if (expectedInt8 is not null)
{
    Check($"int8 kernel uses {expectedInt8}", path.Int8.Contains(expectedInt8, StringComparison.Ordinal), path.Int8);
}

foreach (var format in new[] { WeightFormat.Int8, WeightFormat.Int8A16 })
{
    var (mismatches, compared) = QuantizerAgainstScalarReference(format);
    Check($"{format} activation quantizer equals the scalar reference (ties to even, NaN, tiny and zero blocks)", mismatches == 0,
        $"{mismatches} of {compared} values and scales differ");
}

var embeddingModel = Path.Combine(fixtures, "qwen3-tiny-embedding");
var rerankerModel = Path.Combine(fixtures, "qwen3-tiny-reranker");
using var embeddingReference = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(embeddingModel, "reference.json")));
using var rerankReference = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(rerankerModel, "reference.json")));
var embeddingCases = embeddingReference.RootElement.GetProperty("cases").EnumerateArray().ToArray();
var rerankCases = rerankReference.RootElement.GetProperty("cases").EnumerateArray().ToArray();

// Weights as stored (fp32 compute) within 1e-4; int8 within the bars the x64 tests hold.
foreach (var (format, embeddingBar, scoreBar) in new (WeightFormat?, float, float)[] { (null, 1e-4f, 1e-4f), (WeightFormat.Int8A16, 3e-2f, 3e-2f), (WeightFormat.Int8, 3e-2f, 7e-2f) })
{
    var mode = format?.ToString() ?? "as stored";
    using (var embedder = Embedder.Load(new ModelOptions { Model = embeddingModel, Quantize = format }))
    {
        var worst = 0f;
        var inputs = new List<EmbeddingInput>();
        var tokensMatch = true;
        foreach (var reference in embeddingCases)
        {
            var text = reference.GetProperty("text").GetString()!;
            var ids = reference.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            tokensMatch &= embedder.Tokenize(EmbeddingInput.Document(text), 0, new EmbedOptions()).SequenceEqual(ids);
            var input = EmbeddingInput.Document(text);
            inputs.Add(input);
            worst = Math.Max(worst, MaxDifference(embedder.Embed([input])[0].Vector, Floats(reference.GetProperty("embedding"))));
            worst = Math.Max(worst, MaxDifference(embedder.Embed([input], new EmbedOptions { Dimensions = 32 })[0].Vector, Floats(reference.GetProperty("embedding_dim32"))));
        }
        if (format is null)
        {
            Check("tokenizer gives the references' input ids", tokensMatch, $"{embeddingCases.Length} texts");
        }
        Check($"{mode}: embeddings within {embeddingBar:g2} of the reference", worst < embeddingBar, $"max abs error {worst:g3}");
        var together = embedder.Embed(inputs);
        var invariant = inputs.Select((input, i) => embedder.Embed([input])[0].Vector.AsSpan().SequenceEqual(together[i].Vector)).All(same => same);
        Check($"{mode}: embeddings bitwise the same alone and in one batch", invariant, $"{inputs.Count} inputs");
    }
    using (var reranker = Reranker.Load(new ModelOptions { Model = rerankerModel, Quantize = format }))
    {
        var worst = 0f;
        foreach (var reference in rerankCases)
        {
            var instruction = reference.GetProperty("instruction");
            var options = new RerankOptions
            {
                Instruction = instruction.ValueKind == JsonValueKind.Null ? null : instruction.GetString(),
                MaxLength = reference.TryGetProperty("max_length", out var maxLength) ? maxLength.GetInt32() : null,
            };
            var score = reranker.Score(reference.GetProperty("query").GetString()!, [reference.GetProperty("document").GetString()!], options)[0];
            worst = Math.Max(worst, Math.Abs(score.Score - reference.GetProperty("score").GetSingle()));
        }
        Check($"{mode}: rerank scores within {scoreBar:g2} of the reference", worst < scoreBar, $"max abs error {worst:g3}");
    }
}

Console.WriteLine($"{passed} passed, {failed} failed");
return failed == 0 ? 0 : 1;

void Check(string name, bool ok, string detail)
{
    Console.WriteLine($"{(ok ? "PASS" : "FAIL")} {name} ({detail})");
    if (ok)
    {
        passed++;
    }
    else
    {
        failed++;
    }
}

string? Argument(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

// The int8 GEMM's activation quantization on this path against plain scalar code: per 32-value block,
// q = round-half-even(x · (limit / max|x|)) (+ 64 in the 8-bit mode), scale = max|x| / limit. Rows of
// 100 columns (a partial last block): random blocks, blocks whose maximum is the limit itself (factor 1,
// so x.5 values are exact ties), a block of values under 1e-37 (stored as zeros), a zero block, and a NaN.
static unsafe (int Mismatches, int Compared) QuantizerAgainstScalarReference(WeightFormat format)
{
    const int columns = 100, blocks = 4, rows = 64;
    var limit = format == WeightFormat.Int8 ? 63f : 32767f;
    var random = new Random(3);
    var mismatches = 0;
    var compared = 0;
    var row = new float[columns];
    var valueBytes = format == WeightFormat.Int8 ? 1 : 2;
    var values = new byte[blocks * 32 * valueBytes];
    var scales = new float[blocks];
    for (var r = 0; r < rows; r++)
    {
        for (var i = 0; i < columns; i++)
        {
            row[i] = (r % 4) switch
            {
                0 => (float)(random.NextDouble() * 8 - 4),
                1 => i % 32 == 0 ? limit : random.Next(-(int)limit, (int)limit) + 0.5f,
                2 => i < 32 ? 1e-38f * (i + 1) / 32 : i < 64 ? 0f : (float)(random.NextDouble() * 2 - 1),
                _ => (float)(random.NextDouble() * 2 - 1),
            };
        }
        if (r % 4 == 3)
        {
            row[40] = float.NaN;
        }
        fixed (float* source = row)
        fixed (byte* target = values)
        fixed (float* targetScales = scales)
        {
            ActivationQuantizer.QuantizeRow(format, source, columns, blocks, target, targetScales);
        }
        for (var b = 0; b < blocks; b++)
        {
            var block = Enumerable.Range(b * 32, 32).Select(i => i < columns ? row[i] : 0f).ToArray();
            var amax = block.Any(float.IsNaN) ? float.NaN : block.Max(Math.Abs);
            // Written out here rather than taken from the library: 0 for a zero block and for one whose
            // limit / max overflows (max under ~1e-37), else limit / max.
            var factor = amax == 0 || float.IsInfinity(limit / amax) ? 0f : limit / amax;
            compared++;
            // Any NaN (its payload is not specified), otherwise the same bits.
            if (float.IsNaN(amax) ? !float.IsNaN(scales[b]) : BitConverter.SingleToInt32Bits(scales[b]) != BitConverter.SingleToInt32Bits(amax / limit))
            {
                mismatches++;
            }
            if (float.IsNaN(amax))
            {
                continue; // the stored integers of a NaN block are unspecified; its NaN scale is what matters
            }
            for (var i = 0; i < 32; i++)
            {
                var q = (int)Math.Round(block[i] * factor, MidpointRounding.ToEven);
                var stored = format == WeightFormat.Int8 ? values[b * 32 + i] - 64 : BitConverter.ToInt16(values, 2 * (b * 32 + i));
                compared++;
                if (stored != q)
                {
                    mismatches++;
                }
            }
        }
    }
    return (mismatches, compared);
}

static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => e.GetSingle()).ToArray();

static float MaxDifference(float[] actual, float[] expected) =>
    actual.Length != expected.Length ? float.PositiveInfinity : actual.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
