using System.Diagnostics;
using Sift.Checkpoints;
using Sift.Checkpoints.Gguf;
using Sift.Engine;
using Sift.Tests.Qwen3;

namespace Sift.Tests.Checkpoints;

/// <summary>
/// `sift convert` output loaded back against the fixture references, and compared with the GGUF
/// that the independent Python writer (tests/tools/gguf_write.py, llama.cpp's layout) makes.
/// </summary>
public sealed class GgufConversionTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("sift-gguf-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Theory]
    [InlineData(TensorType.F16, 1e-3)]
    [InlineData(TensorType.Q8_0, 3e-2)]
    public void Convert_EmbeddingFixture_LoadsBackWithinTolerance(TensorType type, double tolerance)
    {
        var path = Path.Combine(_directory.FullName, $"embedding-{type}.gguf");
        GgufConverter.Convert(Fixtures.EmbeddingModel, path, type, ModelKind.Embedding);
        using var embedder = Embedder.Load(new ModelOptions { Model = path });
        Assert.Equal(type == TensorType.Q8_0 ? Sift.Kernels.WeightFormat.Int8 : Sift.Kernels.WeightFormat.F16, embedder.Model.WeightFormat);
        foreach (var reference in ReferenceCases.Embedding.Value)
        {
            // No tokenizer.json beside the file: the tokenizer comes from the GGUF metadata.
            Assert.Equal(reference.InputIds, embedder.Tokenize(EmbeddingInput.Document(reference.Text), 0, new EmbedOptions()));
            var vector = embedder.Embed([EmbeddingInput.Document(reference.Text)])[0].Vector;
            var dim32 = embedder.Embed([EmbeddingInput.Document(reference.Text)], new EmbedOptions { Dimensions = 32 })[0].Vector;
            Assert.True(vector.Select((v, i) => Math.Abs(v - reference.Embedding[i])).Max() < tolerance);
            Assert.True(dim32.Select((v, i) => Math.Abs(v - reference.EmbeddingDim32[i])).Max() < tolerance);
        }
    }

    [Fact]
    public void KeepsQ8Blocks_OnlyWhenEverySourceTensorIsQ8Zero()
    {
        // A GGUF Q8_0 file's matrices keep their blocks of 32 in the int8 GEMM (unchanged values); a
        // safetensors bf16 matrix, or one mixing the two, may be cut into blocks of 128.
        var path = Path.Combine(_directory.FullName, "embedding-q8.gguf");
        GgufConverter.Convert(Fixtures.EmbeddingModel, path, TensorType.Q8_0, ModelKind.Embedding);
        using var gguf = Sift.Checkpoints.Gguf.GgufCheckpoint.Open(path);
        using var safetensors = SafetensorsCheckpoint.Open(Fixtures.EmbeddingModel);
        var query = Sift.Qwen3.Qwen3WeightNames.Layer(0, Sift.Qwen3.Qwen3WeightNames.Layers.Query);
        var down = Sift.Qwen3.Qwen3WeightNames.Layer(0, Sift.Qwen3.Qwen3WeightNames.Layers.Down);
        var (ggufReader, safetensorsReader) = (new Sift.Qwen3.WeightReader(gguf), new Sift.Qwen3.WeightReader(safetensors));
        Assert.True(ggufReader.TryFind(query, out var q8Query));
        Assert.True(ggufReader.TryFind(down, out var q8Down));
        Assert.True(safetensorsReader.TryFind(query, out var bf16Query));
        Assert.Equal(TensorType.Q8_0, q8Query.Type);
        Assert.True(Sift.Qwen3.WeightReader.KeepsQ8Blocks(q8Query, q8Down));
        Assert.False(Sift.Qwen3.WeightReader.KeepsQ8Blocks(bf16Query));
        Assert.False(Sift.Qwen3.WeightReader.KeepsQ8Blocks(q8Query, bf16Query));
        Assert.Throws<ArgumentException>(() => Sift.Qwen3.WeightReader.KeepsQ8Blocks());
    }

    [Fact]
    public void Load_TokenizerBesideTheFileWithMoreTokensThanTheModel_IsRefused()
    {
        // The tokenizer.json beside a GGUF file wins over its metadata; its ids must still have rows.
        var path = Path.Combine(_directory.FullName, "embedding.gguf");
        GgufConverter.Convert(Fixtures.EmbeddingModel, path, TensorType.F16, ModelKind.Embedding);
        var tokenizer = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.EmbeddingModel, "tokenizer.json")))!;
        tokenizer["added_tokens"]!.AsArray().Add(System.Text.Json.Nodes.JsonNode.Parse(
            """{"id": 151669, "content": "<|extra|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}"""));
        File.WriteAllText(Path.Combine(_directory.FullName, "tokenizer.json"), tokenizer.ToJsonString());

        var error = Assert.Throws<CheckpointException>(() => Embedder.Load(new ModelOptions { Model = path }));
        Assert.Contains("the tokenizer has 151670 tokens but the model's vocab_size is 151669", error.Message);
    }

    [Theory]
    [InlineData(TensorType.F16, 1e-3)]
    [InlineData(TensorType.Q8_0, 3e-2)]
    public void Convert_RerankerFixture_LoadsBackWithinTolerance(TensorType type, double tolerance)
    {
        var path = Path.Combine(_directory.FullName, $"reranker-{type}.gguf");
        GgufConverter.Convert(Fixtures.RerankerModel, path, type, ModelKind.Reranker);
        // Q8_0 weights with 15-bit activations: this checks the file's weights against the 3e-2 bar; the
        // fixtures' scores with 7-bit activations (the default int8 mode) are QuantizedModelTests' subject.
        using var reranker = Reranker.Load(new ModelOptions { Model = path, Quantize = type == TensorType.Q8_0 ? Sift.Kernels.WeightFormat.Int8A16 : null });
        foreach (var reference in ReferenceCases.Rerank.Value)
        {
            var options = new RerankOptions { Instruction = reference.Instruction, MaxLength = reference.MaxLength };
            Assert.Equal(reference.InputIds, reranker.BuildInput(reference.Query, reference.Document, options));
            var score = reranker.Score(reference.Query, [reference.Document], options)[0];
            Assert.True(Math.Abs(score.Score - reference.Score) < tolerance, $"{type}: score {score.Score} vs {reference.Score}");
        }
    }

    [Theory]
    [InlineData("qwen3-tiny-embedding", "embedding", "q8_0")]
    [InlineData("qwen3-tiny-reranker", "reranker", "f16")]
    public void Convert_LaysTheFileOutAsTheIndependentWriter(string fixture, string kind, string type)
    {
        var theirs = Path.Combine(_directory.FullName, "theirs.gguf");
        RunGgufWritePy(Path.Combine(Fixtures.Root, fixture), theirs, type, kind);
        var ours = Path.Combine(_directory.FullName, "ours.gguf");
        GgufConverter.Convert(Path.Combine(Fixtures.Root, fixture), ours, type == "q8_0" ? TensorType.Q8_0 : TensorType.F16,
            kind == "reranker" ? ModelKind.Reranker : ModelKind.Embedding);

        using var expected = GgufFile.Open(theirs);
        using var actual = GgufFile.Open(ours);
        Assert.Equal(expected.Tensors.Keys.Order(), actual.Tensors.Keys.Order());
        foreach (var (name, tensor) in expected.Tensors)
        {
            Assert.Equal(tensor.Type, actual.Tensors[name].Type);
            Assert.Equal(tensor.Shape, actual.Tensors[name].Shape);
            // Same conversion, same rounding: the bytes agree (Q8_0 is bit-exact with ggml's quantizer).
            Assert.True(tensor.Bytes.SequenceEqual(actual.Tensors[name].Bytes), $"tensor {name} differs");
        }
        var skipped = new HashSet<string> { "general.name" };
        Assert.Equal(expected.Metadata.Keys.Where(k => !skipped.Contains(k)).Order(), actual.Metadata.Keys.Where(k => !skipped.Contains(k)).Order());
        foreach (var (key, value) in expected.Metadata.Where(m => !skipped.Contains(m.Key)))
        {
            var mine = actual.Metadata[key];
            if (value.Value is System.Collections.IEnumerable list and not string)
            {
                Assert.Equal(list.Cast<object>(), ((System.Collections.IEnumerable)mine.Value).Cast<object>());
            }
            else
            {
                Assert.True(Equals(value.Value, mine.Value) || value.AsDouble() == mine.AsDouble(), $"{key}: {value.Value} vs {mine.Value}");
            }
        }
    }

    [Theory]
    [InlineData("f32", 1e-4)]
    [InlineData("q8_0", 3e-2)]
    public void Load_GgufFromTheIndependentWriter_MatchesTheReference(string type, double tolerance)
    {
        var embedding = Path.Combine(_directory.FullName, $"emb-{type}.gguf");
        var reranker = Path.Combine(_directory.FullName, $"rr-{type}.gguf");
        RunGgufWritePy(Fixtures.EmbeddingModel, embedding, type, "embedding");
        RunGgufWritePy(Fixtures.RerankerModel, reranker, type, "reranker");
        using (var embedder = Embedder.Load(new ModelOptions { Model = embedding }))
        {
            foreach (var reference in ReferenceCases.Embedding.Value)
            {
                var vector = embedder.Embed([EmbeddingInput.Document(reference.Text)])[0].Vector;
                Assert.True(vector.Select((v, i) => Math.Abs(v - reference.Embedding[i])).Max() < tolerance);
            }
        }
        // As in Convert_RerankerFixture_LoadsBackWithinTolerance: the weights against the bar, with 15-bit activations.
        using var model = Reranker.Load(new ModelOptions { Model = reranker, Quantize = type == "q8_0" ? Sift.Kernels.WeightFormat.Int8A16 : null });
        foreach (var reference in ReferenceCases.Rerank.Value)
        {
            var score = model.Score(reference.Query, [reference.Document], new RerankOptions { Instruction = reference.Instruction, MaxLength = reference.MaxLength })[0];
            Assert.True(Math.Abs(score.Score - reference.Score) < tolerance, $"score {score.Score} vs {reference.Score}");
        }
    }

    /// <summary>Runs tests/tools/gguf_write.py (needs /usr/bin/python3 with numpy: apt-get install python3-numpy; .ci/run does).</summary>
    internal static void RunGgufWritePy(string source, string output, string type, string kind)
    {
        var script = Path.GetFullPath(Fixtures.Tool("gguf_write.py"));
        var start = new ProcessStartInfo("/usr/bin/python3", [script, source, output, "--type", type, "--kind", kind])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"gguf_write.py failed (is python3-numpy installed?): {error}");
    }
}
