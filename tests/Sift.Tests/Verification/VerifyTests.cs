using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sift.Engine;
using Sift.Qwen3;
using Sift.Tests.Cli;
using Sift.Tests.Qwen3;
using Sift.Verification;

namespace Sift.Tests.Verification;

public sealed class VerifyTests
{
    private const int YesId = 9693;
    private const int NoId = 2152;

    [Fact]
    public async Task Verify_Fixtures_PassesEveryInvariantAndSkipsTheModelCardChecksNamingWhy()
    {
        var (exitCode, output, error) = await CliRunner.RunAsync("", "verify", "--model", Fixtures.EmbeddingModel, "--reranker", Fixtures.RerankerModel, "--json");

        Assert.Equal(0, exitCode);
        Assert.Empty(error);
        var report = JsonDocument.Parse(output).RootElement;
        var checks = report.GetProperty("checks").EnumerateArray()
            .ToDictionary(c => $"{c.GetProperty("model").GetString()}/{c.GetProperty("check").GetString()}", c => c);
        foreach (var passing in new[] { "qwen3-tiny-embedding/finite", "qwen3-tiny-embedding/eos", "qwen3-tiny-embedding/batch-invariance",
                     "qwen3-tiny-reranker/finite", "qwen3-tiny-reranker/batch-invariance" })
        {
            Assert.Equal("pass", checks[passing].GetProperty("outcome").GetString());
        }
        var official = checks["qwen3-tiny-embedding/official-example"];
        Assert.Equal("skipped", official.GetProperty("outcome").GetString());
        Assert.Contains("not Qwen3-Embedding-0.6B", official.GetProperty("detail").GetString());
        Assert.Contains("hidden 64, 2 layers", official.GetProperty("detail").GetString());
        var gap = checks["qwen3-tiny-reranker/gap-sign"];
        Assert.Equal("skipped", gap.GetProperty("outcome").GetString());
        Assert.Contains("no pair is obvious", gap.GetProperty("detail").GetString());
        Assert.Equal(5, report.GetProperty("passed").GetInt32());
        Assert.Equal(0, report.GetProperty("failed").GetInt32());
        Assert.Equal(2, report.GetProperty("skipped").GetInt32());
    }

    [Fact]
    public async Task Verify_TextOutput_PrintsOneLinePerCheckThenTheCounts()
    {
        var (exitCode, output, _) = await CliRunner.RunAsync("", "verify", "--model", Fixtures.EmbeddingModel);

        Assert.Equal(0, exitCode);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith("PASS  qwen3-tiny-embedding  outputs are finite", lines[0]);
        Assert.StartsWith("PASS  qwen3-tiny-embedding  one trailing <|endoftext|>", lines[1]);
        Assert.Contains("the tokenizer's template appends it", lines[1]);
        Assert.StartsWith("SKIP  qwen3-tiny-embedding  Qwen3-Embedding-0.6B model card numbers", lines[3]);
        Assert.Equal("3 passed, 0 failed, 1 skipped", lines[4]);
    }

    [Fact]
    public async Task Verify_TokenizerTemplateAppendingImEnd_FailsTheEndOfTextCheckWithExitCode1()
    {
        // A conversion that took the chat model's end token: other runtimes would pool on <|im_end|>.
        using var model = ModelCopy.Of(Fixtures.EmbeddingModel).WithPostProcessor(JsonNode.Parse("""
            {"type": "TemplateProcessing",
             "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<|im_end|>", "type_id": 0}}],
             "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<|im_end|>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
             "special_tokens": {"<|im_end|>": {"id": "<|im_end|>", "ids": [151645], "tokens": ["<|im_end|>"]}}}
            """));

        var (exitCode, output, _) = await CliRunner.RunAsync("", "verify", "--model", model.Directory, "--json");

        Assert.Equal(1, exitCode);
        var eos = Check(output, "eos");
        Assert.Equal("fail", eos.GetProperty("outcome").GetString());
        Assert.Contains("appends [151645 <|im_end|>] instead of one <|endoftext|> (151643)", eos.GetProperty("detail").GetString());
        Assert.Equal(1, JsonDocument.Parse(output).RootElement.GetProperty("failed").GetInt32());
    }

    [Fact]
    public async Task Verify_TokenizerWithoutTemplate_PassesTheEndOfTextCheckSaysSiftAppendsIt()
    {
        // Older Qwen3-Embedding revisions had no post-processor; the code appended <|endoftext|> by hand, as Sift does.
        using var model = ModelCopy.Of(Fixtures.EmbeddingModel).WithPostProcessor(null);

        var (exitCode, output, _) = await CliRunner.RunAsync("", "verify", "--model", model.Directory, "--json");

        Assert.Equal(0, exitCode);
        var eos = Check(output, "eos");
        Assert.Equal("pass", eos.GetProperty("outcome").GetString());
        Assert.Contains("appends nothing (an older revision), Sift appends <|endoftext|>", eos.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Verify_InfiniteWeight_FailsTheFiniteCheck()
    {
        // What a bf16 -> f16 conversion does to a weight beyond f16's range.
        using var model = ModelCopy.Of(Fixtures.EmbeddingModel).WithTensorEdited("layers.0.self_attn.q_proj.weight",
            (_, bytes) => BinaryPrimitives.WriteUInt16LittleEndian(bytes, 0x7F80));

        var (exitCode, output, _) = await CliRunner.RunAsync("", "verify", "--model", model.Directory, "--json");

        Assert.Equal(1, exitCode);
        var finite = Check(output, "finite");
        Assert.Equal("fail", finite.GetProperty("outcome").GetString());
        Assert.Contains("NaN or infinite", finite.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Verify_Int8Weights_KeepEveryInvariant()
    {
        var (exitCode, output, _) = await CliRunner.RunAsync("", "verify", "--model", Fixtures.EmbeddingModel, "--reranker", Fixtures.RerankerModel,
            "--quantize", "int8", "--json");

        Assert.Equal(0, exitCode);
        Assert.Equal(5, JsonDocument.Parse(output).RootElement.GetProperty("passed").GetInt32());
    }

    [Fact]
    public async Task Verify_MissingModel_IsOneErrorLineAndExitCode1()
    {
        var (exitCode, output, error) = await CliRunner.RunAsync("", "verify", "--model", "/nonexistent/model");

        Assert.Equal(1, exitCode);
        Assert.Empty(output);
        Assert.StartsWith("sift: error: /nonexistent/model", error);
    }

    [Fact]
    public void GapSign_PairsWhoseSignTheReferenceKnows_PassOnTheFixtureAndFailWhenYesAndNoRowsAreSwapped()
    {
        // On random weights no pair is obvious by meaning; these are obvious to this model because an
        // independent float64 implementation computed their gaps (reference.json).
        var pairs = ReferenceCases.Rerank.Value.Where(c => c.Instruction is null && c.MaxLength is null && c.Query.Length > 0)
            .Select(c => new ObviousPair(c.Query, c.Document, c.LogitYes > c.LogitNo)).ToArray();
        Assert.Contains(pairs, p => p.Relevant);
        Assert.Contains(pairs, p => !p.Relevant);

        using (var reranker = Reranker.Load(new ModelOptions { Model = Fixtures.RerankerModel }))
        {
            var check = RerankerVerifier.Verify(reranker, pairs).Single(c => c.Id == "gap-sign");
            Assert.Equal(CheckOutcome.Pass, check.Outcome);
        }

        using var swapped = ModelCopy.Of(Fixtures.RerankerModel).WithTensorEdited("lm_head.weight", (tensor, bytes) =>
        {
            var rowBytes = (int)(bytes.Length / tensor.Shape[0]);
            var yes = bytes.AsSpan(YesId * rowBytes, rowBytes).ToArray();
            bytes.AsSpan(NoId * rowBytes, rowBytes).CopyTo(bytes.AsSpan(YesId * rowBytes));
            yes.CopyTo(bytes.AsSpan(NoId * rowBytes));
        });
        using var broken = Reranker.Load(new ModelOptions { Model = swapped.Directory });
        var failed = RerankerVerifier.Verify(broken, pairs).Single(c => c.Id == "gap-sign");
        Assert.Equal(CheckOutcome.Fail, failed.Outcome);
        Assert.Contains("every sign is flipped", failed.Detail);
    }

    [Theory]
    [InlineData(1024, 28, 16, 8, 128, 3072, 151669, "0.6B")]
    [InlineData(2560, 36, 32, 8, 128, 9728, 151669, "4B")]
    [InlineData(4096, 36, 32, 8, 128, 12288, 151669, "8B")]
    [InlineData(1024, 28, 16, 8, 128, 3072, 151936, null)] // Qwen3-0.6B, the chat model: another vocabulary
    [InlineData(64, 2, 4, 2, 32, 128, 151669, null)] // the fixtures
    public void Qwen3Release_Recognise_ByTheWholeShape(int hidden, int layers, int heads, int kvHeads, int headDim, int ffn, int vocab, string? size)
    {
        var config = new Qwen3Config
        {
            HiddenSize = hidden, LayerCount = layers, HeadCount = heads, KeyValueHeadCount = kvHeads, HeadDim = headDim,
            IntermediateSize = ffn, VocabSize = vocab,
        };
        Assert.Equal(size, Qwen3Release.Recognise(config)?.Size);
    }

    [Theory]
    [InlineData(0.009, false, CheckOutcome.Pass)]
    [InlineData(0.011, false, CheckOutcome.Fail)]
    [InlineData(0.029, true, CheckOutcome.Pass)]
    [InlineData(0.031, true, CheckOutcome.Fail)]
    public void CompareWithModelCard_TolerancesAre1eMinus2ForFloatAnd3eMinus2ForInt8(double offset, bool int8, CheckOutcome expected)
    {
        var published = ModelCardExample.Embedding06BSimilarities;
        var measured = (double[,])published.Clone();
        measured[1, 0] += offset;

        var check = EmbedderVerifier.CompareWithModelCard("m", measured, int8);

        Assert.Equal(expected, check.Outcome);
        Assert.Contains("[0.7646, 0.1414]", check.Detail);
    }

    private static JsonElement Check(string output, string id) =>
        JsonDocument.Parse(output).RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("check").GetString() == id);
}
