using System.Diagnostics;
using System.Text.Json;
using Sift.Engine;
using Sift.Tests.Qwen3;

namespace Sift.Tests.Cli;

public sealed class CliCommandTests
{
    [Fact]
    public async Task Embed_JsonLines_WritesIndexTokensAndReferenceEmbeddings()
    {
        var cases = ReferenceCases.Embedding.Value.Skip(3).Take(3).ToArray();
        var stdin = CliRunner.Lines(
            JsonSerializer.Serialize(cases[0].Text),
            JsonSerializer.Serialize(new { text = cases[1].Text }),
            "",
            JsonSerializer.Serialize(cases[2].Text));

        var (exitCode, output, error) = await CliRunner.RunAsync(stdin, "embed", "--model", Fixtures.EmbeddingModel);

        Assert.Equal(0, exitCode);
        Assert.Empty(error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(3, lines.Length);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(i, lines[i].GetProperty("index").GetInt32());
            Assert.Equal(cases[i].InputIds.Length, lines[i].GetProperty("tokens").GetInt32());
            var vector = lines[i].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            Assert.True(vector.Select((v, c) => Math.Abs(v - cases[i].Embedding[c])).Max() < 1e-4);
        }
    }

    [Fact]
    public async Task Embed_InstructionAndDimensions_EmbedsQueriesAtMatryoshkaSize()
    {
        var reference = ReferenceCases.Embedding.Value[2];
        var (exitCode, output, _) = await CliRunner.RunAsync(CliRunner.Lines("\"苹果手机电池续航差怎么办\""),
            "embed", "--model", Fixtures.EmbeddingModel, "--instruction", "Given a user question about phones, retrieve helpful answers", "--dimensions", "32");
        Assert.Equal(0, exitCode);
        var line = JsonDocument.Parse(output).RootElement;
        Assert.Equal(reference.InputIds.Length, line.GetProperty("tokens").GetInt32());
        var vector = line.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal(32, vector.Length);
        Assert.True(vector.Select((v, c) => Math.Abs(v - reference.EmbeddingDim32[c])).Max() < 1e-4);
    }

    [Fact]
    public async Task Embed_MaxLength_TruncatesAndNoTruncateFailsNamingTheInput()
    {
        var (exitCode, output, _) = await CliRunner.RunAsync(CliRunner.Lines("\"one two three four five six seven\""),
            "embed", "--model", Fixtures.EmbeddingModel, "--max-length", "4");
        Assert.Equal(0, exitCode);
        Assert.Equal(4, JsonDocument.Parse(output).RootElement.GetProperty("tokens").GetInt32());

        var (failCode, failOutput, error) = await CliRunner.RunAsync(CliRunner.Lines("\"short\"", "\"one two three four five six seven\""),
            "embed", "--model", Fixtures.EmbeddingModel, "--max-length", "4", "--no-truncate");
        Assert.Equal(1, failCode);
        Assert.Empty(failOutput);
        Assert.StartsWith("sift: error: input 1 has 8 tokens; the limit is 4", error);
    }

    [Fact]
    public async Task Rerank_Documents_WritesScoresSortedHighestFirstAndHonoursTopN()
    {
        var cases = ReferenceCases.Rerank.Value.Where(c => c.Query == "苹果手机电池续航差怎么办" && c.Instruction is null).ToArray();
        var stdin = CliRunner.Lines(cases.Select(c => JsonSerializer.Serialize(new { text = c.Document })).ToArray());

        var (exitCode, output, error) = await CliRunner.RunAsync(stdin, "rerank", "--model", Fixtures.RerankerModel, "--query", cases[0].Query);

        Assert.Equal(0, exitCode);
        Assert.Empty(error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        var expectedOrder = cases.Select((c, i) => (c.Score, i)).OrderByDescending(x => x.Score).Select(x => x.i).ToArray();
        Assert.Equal(expectedOrder, lines.Select(l => l.GetProperty("index").GetInt32()).ToArray());
        foreach (var line in lines)
        {
            Assert.True(Math.Abs(cases[line.GetProperty("index").GetInt32()].Score - line.GetProperty("score").GetSingle()) < 1e-4);
        }

        var (_, topOutput, _) = await CliRunner.RunAsync(stdin, "rerank", "--model", Fixtures.RerankerModel, "--query", cases[0].Query, "--top-n", "1");
        Assert.Single(topOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Rerank_InstructionAndMaxLength_MatchTheReferenceTruncationCase()
    {
        var reference = ReferenceCases.Rerank.Value.Single(c => c.MaxLength is not null);
        var (exitCode, output, _) = await CliRunner.RunAsync(CliRunner.Lines(JsonSerializer.Serialize(reference.Document)),
            "rerank", "--model", Fixtures.RerankerModel, "--query", reference.Query, "--max-length", reference.MaxLength!.Value.ToString());
        Assert.Equal(0, exitCode);
        Assert.True(Math.Abs(reference.Score - JsonDocument.Parse(output).RootElement.GetProperty("score").GetSingle()) < 1e-4);
    }

    [Fact]
    public async Task EmbedRerankInfo_GeneratedCheckpointOfAnotherShape_WorkAsOnTheFixtures()
    {
        using var checkpoint = Support.TinyQwen3Checkpoint.Create(new Support.TinyQwen3Spec());
        var reference = new Support.ReferenceQwen3(checkpoint);

        var (embedCode, embedOutput, _) = await CliRunner.RunAsync(CliRunner.Lines("\"Hello world\""), "embed", "--model", checkpoint.Directory);
        Assert.Equal(0, embedCode);
        var line = JsonDocument.Parse(embedOutput).RootElement;
        var expected = reference.LastHidden([9707, 1879, 151643]);
        var norm = Math.Sqrt(expected.Sum(v => v * v));
        var vector = line.GetProperty("embedding").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(checkpoint.Spec.Hidden, vector.Length);
        Assert.True(vector.Select((v, i) => Math.Abs(v - expected[i] / norm)).Max() < 1e-4);

        var (rerankCode, rerankOutput, _) = await CliRunner.RunAsync(CliRunner.Lines("\"a\"", "\"b\""), "rerank", "--model", checkpoint.Directory, "--query", "q");
        Assert.Equal(0, rerankCode);
        Assert.Equal(2, rerankOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var (infoCode, infoOutput, _) = await CliRunner.RunAsync("", "info", "--model", checkpoint.Directory, "--json");
        Assert.Equal(0, infoCode);
        var info = JsonDocument.Parse(infoOutput).RootElement;
        Assert.Equal(checkpoint.Spec.HeadDim, info.GetProperty("head_dim").GetInt32());
        Assert.True(info.GetProperty("tied_lm_head").GetBoolean());
        Assert.Equal(checkpoint.Weights.Values.Sum(w => (long)w.Length), info.GetProperty("parameters").GetInt64());
    }

    [Fact]
    public async Task Convert_ThenEmbedAndInfo_WorkOnTheGgufFile()
    {
        var directory = Directory.CreateTempSubdirectory("sift-cli-gguf-").FullName;
        try
        {
            var path = Path.Combine(directory, "tiny-q8.gguf");
            var (convertCode, _, convertError) = await CliRunner.RunAsync("", "convert", "--model", Fixtures.EmbeddingModel, "--output", path, "--type", "q8_0");
            Assert.Equal(0, convertCode);
            Assert.Contains("wrote", convertError);

            var reference = ReferenceCases.Embedding.Value[3];
            var (embedCode, output, _) = await CliRunner.RunAsync(CliRunner.Lines(JsonSerializer.Serialize(reference.Text)), "embed", "--model", path);
            Assert.Equal(0, embedCode);
            var vector = JsonDocument.Parse(output).RootElement.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            Assert.True(vector.Select((v, i) => Math.Abs(v - reference.Embedding[i])).Max() < 3e-2);

            var (infoCode, info, _) = await CliRunner.RunAsync("", "info", "--model", path, "--json");
            Assert.Equal(0, infoCode);
            var facts = JsonDocument.Parse(info).RootElement;
            Assert.Equal("GGUF v3", facts.GetProperty("format").GetString());
            Assert.Equal("qwen3 (embedding)", facts.GetProperty("architecture").GetString());
            Assert.Contains("Q8_0", facts.GetProperty("dtype").GetString());

            var (badCode, _, badError) = await CliRunner.RunAsync("", "convert", "--model", "/nonexistent", "--output", path);
            Assert.Equal(1, badCode);
            Assert.StartsWith("sift: error: /nonexistent: model directory not found", badError);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Tokenize_WritesIdsWithTemplateApplied()
    {
        var (exitCode, output, _) = await CliRunner.RunAsync(CliRunner.Lines("\"Hello world\"", "{\"text\": \"<|im_start|>\"}"),
            "tokenize", "--model", Fixtures.EmbeddingModel);
        Assert.Equal(0, exitCode);
        Assert.Equal("{\"index\":0,\"ids\":[9707,1879,151643]}\n{\"index\":1,\"ids\":[151644,151643]}\n", output);
    }

    [Fact]
    public async Task Tokenize_GgufFile_UsesATokenizerJsonBesideItAsTheEngineDoes()
    {
        var directory = Directory.CreateTempSubdirectory("sift-cli-gguf-tok-").FullName;
        try
        {
            var path = Path.Combine(directory, "tiny-f16.gguf");
            GgufConverter.Convert(Fixtures.EmbeddingModel, path, Sift.Checkpoints.TensorType.F16, ModelKind.Embedding);
            var (metadataCode, fromMetadata, _) = await CliRunner.RunAsync(CliRunner.Lines("\"Hello world\""), "tokenize", "--model", path);
            Assert.Equal(0, metadataCode);
            Assert.Equal("{\"index\":0,\"ids\":[9707,1879,151643]}\n", fromMetadata);

            // A tokenizer.json beside the file, here one without a post-processor, is the one the model uses.
            var tokenizer = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.EmbeddingModel, "tokenizer.json")))!;
            tokenizer["post_processor"] = null;
            File.WriteAllText(Path.Combine(directory, "tokenizer.json"), tokenizer.ToJsonString());
            var (besideCode, fromBeside, _) = await CliRunner.RunAsync(CliRunner.Lines("\"Hello world\""), "tokenize", "--model", path);
            Assert.Equal(0, besideCode);
            Assert.Equal("{\"index\":0,\"ids\":[9707,1879]}\n", fromBeside);
            using var embedder = Embedder.Load(new ModelOptions { Model = path });
            Assert.Equal([9707, 1879], embedder.Tokenizer.Encode("Hello world", addSpecialTokens: true));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Info_ShowsArchitectureSizesDtypeParametersAndMemory()
    {
        var (exitCode, output, _) = await CliRunner.RunAsync("", "info", "--model", Fixtures.RerankerModel, "--json");
        Assert.Equal(0, exitCode);
        var info = JsonDocument.Parse(output).RootElement;
        Assert.Equal(64, info.GetProperty("hidden_size").GetInt32());
        Assert.Equal(2, info.GetProperty("layers").GetInt32());
        Assert.Equal("BF16", info.GetProperty("dtype").GetString());
        Assert.False(info.GetProperty("tied_lm_head").GetBoolean());
        // embedding + lm_head 2 × 151669 × 64, per layer 4·64·... : count from the index's total size in bf16.
        Assert.Equal(39024768 / 2, info.GetProperty("parameters").GetInt64());
        Assert.Equal(39024768, info.GetProperty("weights_bytes").GetInt64());

        var (tableCode, table, _) = await CliRunner.RunAsync("", "info", "--model", Fixtures.EmbeddingModel);
        Assert.Equal(0, tableCode);
        Assert.Contains("tied_lm_head             True", table);
    }

    [Fact]
    public async Task Info_ShowsThreadsDtypeInMemoryFileHashesAndWhatABudgetWouldSize()
    {
        var (exitCode, output, error) = await CliRunner.RunAsync("", "info", "--model", Fixtures.RerankerModel, "--json", "--quantize", "int8", "--max-memory", "1GB");
        Assert.True(exitCode == 0, error);
        var info = JsonDocument.Parse(output).RootElement;
        Assert.Equal(Environment.ProcessorCount, info.GetProperty("threads").GetInt32());
        Assert.Equal("int8", info.GetProperty("dtype_in_memory").GetString());
        using (var reranker = Sift.Engine.Reranker.Load(new Sift.Engine.ModelOptions { Model = Fixtures.RerankerModel, Quantize = Sift.Kernels.WeightFormat.Int8 }))
        {
            Assert.True(info.GetProperty("weights_resident_bytes").GetInt64() >= reranker.Model.PackedWeightBytes + reranker.Model.EmbeddingBytes);
        }
        Assert.Equal(JsonValueKind.Null, info.GetProperty("revision").ValueKind);
        var files = info.GetProperty("files").EnumerateArray().ToArray();
        Assert.Equal(2, files.Length);
        var first = Path.Combine(Fixtures.RerankerModel, files[0].GetProperty("name").GetString()!);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(first))), files[0].GetProperty("sha256").GetString());
        Assert.Equal(1L << 30, info.GetProperty("memory_budget").GetInt64());
        Assert.Equal(8192, info.GetProperty("max_input_length").GetInt32());
        Assert.InRange(info.GetProperty("max_batch_tokens").GetInt32(), 8192, 16384);
    }

    public static TheoryData<string, string[], string> BadInputs() => new()
    {
        { "", ["probe", "nonsense"], "sift: error: the URL to probe must be an absolute http(s) URL, got \"nonsense\"" },
        { "", ["probe", "http://127.0.0.1:1/ready"], "sift: error: http://127.0.0.1:1/ready did not answer" },
        { "", ["probe", "http://127.0.0.1:1/ready", "--timeout", "0"], "sift: error: --timeout must be a number of seconds above 0 and at most 86400, got 0" },
        { "", ["probe", "http://127.0.0.1:1/ready", "--timeout", "NaN"], "sift: error: --timeout must be a number of seconds above 0" },
        { "", ["probe", "http://127.0.0.1:1/ready", "--timeout", "1e300"], "sift: error: --timeout must be a number of seconds above 0" },
        { "\"x\"\n", ["embed", "--model", "/nonexistent/model"], "sift: error: /nonexistent/model: no such model directory or .gguf file" },
        { "{broken\n", ["embed", "--model", Fixtures.EmbeddingModel], "sift: error: stdin line 1: not valid JSON" },
        { "\n42\n", ["tokenize", "--model", Fixtures.EmbeddingModel], "sift: error: stdin line 2: expected a JSON string or an object" },
        { "{\"txt\": \"x\"}\n", ["rerank", "--model", Fixtures.RerankerModel, "--query", "q"], "sift: error: stdin line 1: expected a JSON string" },
        { "", ["embed", "--model", Fixtures.EmbeddingModel], "sift: error: no inputs on stdin" },
        { "\n\n", ["rerank", "--model", Fixtures.RerankerModel, "--query", "q"], "sift: error: no documents on stdin" },
        { "\"x\"\n", ["embed", "--model", Fixtures.EmbeddingModel, "--dimensions", "16"], "sift: error: dimensions 16 is outside the valid range 32..64" },
        { "\"x\"\n", ["embed", "--model", Fixtures.EmbeddingModel, "--dimensions", "65"], "sift: error: dimensions 65 is outside the valid range 32..64" },
        { "\"x\"\n", ["embed", "--model", Fixtures.EmbeddingModel, "--dimensions", "-3"], "sift: error: --dimensions must be a positive integer, got -3" },
        { "\"x\"\n", ["embed", "--model", Fixtures.EmbeddingModel, "--dimensions", "abc"], "sift: error: --dimensions must be a positive integer, got \"abc\"" },
        { "", ["search", "--data", "unused", "--collection", "c", "--model", Fixtures.EmbeddingModel, "--query", "q", "--top-n", "99999999999"],
            "sift: error: --top-n must be a positive integer, got \"99999999999\"" },
        { "", ["export-training", "--data", "unused", "--collection", "c", "--model", Fixtures.EmbeddingModel, "--reranker", Fixtures.RerankerModel,
            "--queries", "q.jsonl", "--qrels", "q.tsv", "--negatives", "many"], "sift: error: --negatives must be an integer, got \"many\"" },
        { "\"x\"\n", ["embed"], "sift: error: Option '--model' is required." },
        { "\"x\"\n", ["rerank", "--model", Fixtures.RerankerModel, "--query", "q", "--max-length", "10"], "sift: error: max length 10 is outside" },
        { "\"x\"\n", ["info", "--model", Fixtures.Root], "sift: error:" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task BadInput_GivesOneClearLineAndNonZeroExit(string stdin, string[] args, string expectedStart)
    {
        var (exitCode, output, error) = await CliRunner.RunAsync(stdin, args);
        Assert.NotEqual(0, exitCode);
        Assert.Empty(output);
        Assert.StartsWith(expectedStart, error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public async Task Tokenize_BadLineAfterGoodOnes_StreamsTheGoodOnesThenFailsNamingTheLine()
    {
        var (exitCode, output, error) = await CliRunner.RunAsync(CliRunner.Lines("\"ok\"", "[1]", "\"never\""), "tokenize", "--model", Fixtures.EmbeddingModel);
        Assert.Equal(1, exitCode);
        Assert.Equal("{\"index\":0,\"ids\":[562,151643]}\n", output);
        Assert.StartsWith("sift: error: stdin line 2:", error);
    }

    [Fact]
    public async Task CorruptWeights_GiveAClearErrorFromTheRealProcess()
    {
        var directory = Directory.CreateTempSubdirectory("sift-corrupt-").FullName;
        try
        {
            foreach (var file in new[] { "config.json", "tokenizer.json" })
            {
                File.Copy(Path.Combine(Fixtures.EmbeddingModel, file), Path.Combine(directory, file));
            }
            var weights = File.ReadAllBytes(Path.Combine(Fixtures.EmbeddingModel, "model.safetensors"));
            File.WriteAllBytes(Path.Combine(directory, "model.safetensors"), weights[..(weights.Length / 2)]);

            var cli = Path.Combine(AppContext.BaseDirectory, "Sift.Cli.dll");
            var start = new ProcessStartInfo("dotnet", ["exec", cli, "embed", "--model", directory])
            {
                RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            await process.StandardInput.WriteLineAsync("\"x\"");
            process.StandardInput.Close();
            var error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);

            Assert.Equal(1, process.ExitCode);
            Assert.StartsWith("sift: error: ", error);
            Assert.Contains("truncated", error);
            Assert.Contains("model.safetensors", error);
            Assert.DoesNotContain("   at ", error);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
