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

// The fast mode's blocks are 128 values on rows of 1024 inputs or more, 32 on narrower rows (the fixtures').
foreach (var (format, blockSize) in new[] { (WeightFormat.Int8, 32), (WeightFormat.Int8, 128), (WeightFormat.Int8A16, 32) })
{
    var (mismatches, compared) = QuantizerAgainstScalarReference(format, blockSize);
    Check($"{format} activation quantizer, blocks of {blockSize}, equals the scalar reference (ties to even, NaN, tiny and zero blocks)", mismatches == 0,
        $"{mismatches} of {compared} values and scales differ");
}
// 165 rows of 3072 inputs and 72 outputs: a second row block of more rows than Gemm.Int8SliceMinRows, so each
// panel is multiplied in slices of its inputs, and on the 128-bit path (9 panels) a work item with two panels.
foreach (var (format, m, k, n) in new[] { (WeightFormat.Int8, 5, 100, 40), (WeightFormat.Int8, 5, 1100, 40), (WeightFormat.Int8A16, 5, 100, 40),
    (WeightFormat.Int8, 165, 3072, 72), (WeightFormat.Int8A16, 165, 3072, 72) })
{
    var worst = GemmAgainstQuantizedProduct(format, m, k, n);
    Check($"{format} GEMM with {m} rows, k = {k} and {n} outputs equals the product of its quantized operands", worst < 1e-5, $"max relative error {worst:g3}");
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

// The int8 GEMM's activation quantization on this path against plain scalar code: per block (128 values
// in the 8-bit mode, 32 in the 16-bit one), q = round-half-even(x · (limit / max|x|)) (+ 64 in the 8-bit
// mode), scale = max|x| / limit. Rows of whole blocks and ⅛ of one (a partial last block): random blocks,
// blocks whose maximum is the limit itself (factor 1, so x.5 values are exact ties), a block of values
// under 1e-37 (stored as zeros), a zero block, and a NaN. Blocks of 128 need rows of at least 1024.
static unsafe (int Mismatches, int Compared) QuantizerAgainstScalarReference(WeightFormat format, int size)
{
    const int rows = 64;
    var whole = size == 128 ? 8 : 3;
    var columns = whole * size + size / 8;
    var blocks = whole + 1;
    var layout = Int8Layout.For(format, columns);
    if (layout.BlockSize != size)
    {
        throw new InvalidOperationException($"{format} with {columns} columns has blocks of {layout.BlockSize}, the check is written for {size}");
    }
    var limit = format == WeightFormat.Int8 ? 63f : 32767f;
    var random = new Random(3);
    var mismatches = 0;
    var compared = 0;
    var row = new float[columns];
    var valueBytes = format == WeightFormat.Int8 ? 1 : 2;
    var values = new byte[blocks * size * valueBytes];
    var scales = new float[blocks];
    for (var r = 0; r < rows; r++)
    {
        for (var i = 0; i < columns; i++)
        {
            row[i] = (r % 4) switch
            {
                0 => (float)(random.NextDouble() * 8 - 4),
                1 => i % size == 0 ? limit : random.Next(-(int)limit, (int)limit) + 0.5f,
                2 => i < size ? 1e-38f * (i + 1) / size : i < 2 * size ? 0f : (float)(random.NextDouble() * 2 - 1),
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
            ActivationQuantizer.QuantizeRow(layout, source, columns, blocks, target, targetScales);
        }
        for (var b = 0; b < blocks; b++)
        {
            var block = Enumerable.Range(b * size, size).Select(i => i < columns ? row[i] : 0f).ToArray();
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
            for (var i = 0; i < size; i++)
            {
                var q = (int)Math.Round(block[i] * factor, MidpointRounding.ToEven);
                var stored = format == WeightFormat.Int8 ? values[b * size + i] - 64 : BitConverter.ToInt16(values, 2 * (b * size + i));
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

// The int8 GEMM on this path against both operands quantized by plain scalar code and multiplied in double
// (activations per block to 7 or 15 bits, ties to even; weights by Q8_0's rules, scale max/127 rounded
// to fp16, ties away from zero), blocks as Int8Layout specifies them: only fp32 rounding remains. The
// largest |error| / (1 + |expected|) over the output.
static double GemmAgainstQuantizedProduct(WeightFormat format, int m, int k, int n)
{
    var size = format == WeightFormat.Int8 && k >= 1024 ? 128 : 32;
    var limit = format == WeightFormat.Int8 ? 63 : 32767;
    var random = new Random(k);
    var a = Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
    var w = Enumerable.Range(0, n * k).Select(_ => (float)(random.NextDouble() * 0.2 - 0.1)).ToArray();
    using var pool = new WorkerPool(2);
    using var packed = PackedMatrix.Pack(format, n, k, (row, destination) => w.AsSpan(row * k, k).CopyTo(destination), pool);
    var c = new float[m * n];
    Gemm.Multiply(a, m, k, packed, c, n, GemmOutput.Store, pool);
    var activations = new double[m * k];
    var weights = new double[n * k];
    for (var start = 0; start < k; start += size)
    {
        var width = Math.Min(size, k - start);
        for (var r = 0; r < m; r++)
        {
            var amax = Enumerable.Range(start, width).Max(i => Math.Abs(a[r * k + i]));
            var factor = amax == 0 ? 0f : limit / amax;
            for (var i = start; i < start + width; i++)
            {
                activations[r * k + i] = MathF.Round(a[r * k + i] * factor, MidpointRounding.ToEven) * (double)(amax / limit);
            }
        }
        for (var r = 0; r < n; r++)
        {
            var scale = Enumerable.Range(start, width).Max(i => Math.Abs(w[r * k + i])) / 127f;
            var inverse = scale == 0 ? 0f : 1f / scale;
            for (var i = start; i < start + width; i++)
            {
                weights[r * k + i] = MathF.Round(w[r * k + i] * inverse, MidpointRounding.AwayFromZero) * (double)(float)(Half)scale;
            }
        }
    }
    var worst = 0.0;
    for (var i = 0; i < m; i++)
    {
        for (var j = 0; j < n; j++)
        {
            var expected = 0.0;
            for (var x = 0; x < k; x++)
            {
                expected += activations[i * k + x] * weights[j * k + x];
            }
            worst = Math.Max(worst, Math.Abs(expected - c[i * n + j]) / (1 + Math.Abs(expected)));
        }
    }
    return worst;
}

static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => e.GetSingle()).ToArray();

static float MaxDifference(float[] actual, float[] expected) =>
    actual.Length != expected.Length ? float.PositiveInfinity : actual.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
