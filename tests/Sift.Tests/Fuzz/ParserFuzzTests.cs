using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sift.Checkpoints;
using Sift.Checkpoints.Gguf;
using Sift.Tokenization;

namespace Sift.Tests.Fuzz;

/// <summary>
/// Seeded fuzzing of every parser that reads outside input: mutated valid inputs, a few thousand
/// cases, seconds. Each case must end in the parser's own clear error or a valid result (which is
/// then used), never another exception, a hang, or a large allocation.
/// </summary>
public sealed class ParserFuzzTests : IDisposable
{
    /// <summary>No case of these kilobyte-sized inputs has a reason to allocate more.</summary>
    private const long MaxAllocationPerCase = 64L << 20;

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("sift-fuzz-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void Safetensors_MutatedFiles_OpenOrFailClearly()
    {
        var valid = Path.Combine(_directory.FullName, "valid.safetensors");
        SafetensorsWriter.Write(valid, [
            new TensorToWrite("embed_tokens.weight", TensorType.F32, [4, 8], new byte[128]),
            new TensorToWrite("layers.0.self_attn.q_norm.weight", TensorType.BF16, [16], new byte[32]),
            new TensorToWrite("norm.weight", TensorType.F16, [2, 2, 2], new byte[16]),
        ], new Dictionary<string, string> { ["format"] = "pt" });
        var bytes = File.ReadAllBytes(valid);
        var mutator = new Mutator(seed: 101);
        var path = Path.Combine(_directory.FullName, "case.safetensors");
        Fuzz(2000, i =>
        {
            File.WriteAllBytes(path, mutator.Bytes(bytes));
            try
            {
                using var file = SafetensorsFile.Open(path);
                foreach (var tensor in file.Tensors.Values)
                {
                    _ = tensor.Bytes.IndexOf((byte)1);
                }
            }
            catch (CheckpointException)
            {
            }
        });
    }

    [Fact]
    public void Gguf_MutatedFiles_OpenOrFailClearly()
    {
        var valid = Path.Combine(_directory.FullName, "valid.gguf");
        TinyGguf(valid);
        var bytes = File.ReadAllBytes(valid);
        var mutator = new Mutator(seed: 202);
        var path = Path.Combine(_directory.FullName, "case.gguf");
        Fuzz(2000, i =>
        {
            File.WriteAllBytes(path, mutator.Bytes(bytes));
            try
            {
                using var checkpoint = GgufCheckpoint.Open(path);
                foreach (var name in checkpoint.TensorNames)
                {
                    checkpoint.TryGetTensor(name, out var tensor);
                    _ = tensor!.Bytes.IndexOf((byte)1);
                }
                _ = checkpoint.CreateTokenizer().Encode("Hello world 中文");
            }
            catch (CheckpointException)
            {
            }
        });
    }

    [Fact]
    public void TokenizerJson_MutatedDocuments_LoadOrFailClearly()
    {
        var valid = SmallTokenizerJson();
        Assert.NotEmpty(Tokenizer.Parse(Encoding.UTF8.GetBytes(valid.ToJsonString())).Encode("Hello world"));
        var mutator = new Mutator(seed: 303, longestString: 2_000);
        Fuzz(1500, i =>
        {
            var bytes = i % 3 == 0 ? mutator.Bytes(Encoding.UTF8.GetBytes(valid.ToJsonString())) : Encoding.UTF8.GetBytes(mutator.Json(valid).ToJsonString());
            try
            {
                var tokenizer = Tokenizer.Parse(bytes);
                foreach (var text in new[] { "Hello world", "中文 <|im_end|> 's 123", "" })
                {
                    var ids = tokenizer.Encode(text);
                    _ = tokenizer.EncodeWithOffsets(text);
                    _ = tokenizer.Decode(ids);
                }
            }
            catch (TokenizerException)
            {
            }
        });
    }

    [Fact]
    public async Task RequestJson_MutatedBodies_AreAnsweredOrRefusedWithAJsonError()
    {
        await using var server = await Server.TestServer.StartAsync();
        (string Path, string Body)[] templates =
        [
            ("/v1/embeddings", """{"input": ["hello world", "second"], "model": "qwen3-tiny-embedding", "dimensions": 32, "encoding_format": "float", "input_type": "query"}"""),
            ("/embed", """{"inputs": "hello", "normalize": true, "truncate": false, "prompt_name": "query", "truncation_direction": "Right"}"""),
            ("/v1/rerank", """{"query": "q", "documents": ["a", {"text": "b"}], "top_n": 1, "return_documents": true, "instruction": "find"}"""),
            ("/rerank", """{"query": "q", "texts": ["a", "b"], "raw_scores": true, "return_text": true}"""),
            ("/tokenize", """{"inputs": ["hello", "world"], "add_special_tokens": true}"""),
            ("/decode", """{"ids": [[9707, 1879]], "skip_special_tokens": true}"""),
            ("/", """{"inputs": "hello"}"""),
        ];
        var mutator = new Mutator(seed: 404, longestString: 3_000);
        var failures = new List<string>();
        for (var i = 0; i < 700; i++)
        {
            var (path, body) = templates[i % templates.Length];
            var mutated = i % 4 == 0
                ? mutator.Bytes(Encoding.UTF8.GetBytes(body))
                : Encoding.UTF8.GetBytes(mutator.Json(JsonNode.Parse(body)!).ToJsonString());
            using var content = new ByteArrayContent(mutated);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await server.Http.PostAsync(path, content, TestContext.Current.CancellationToken);
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            if ((int)response.StatusCode >= 500 || !IsJson(text))
            {
                failures.Add($"case {i}: POST {path} {Encoding.UTF8.GetString(mutated)[..Math.Min(300, mutated.Length)]} -> {(int)response.StatusCode} {text[..Math.Min(300, text.Length)]}");
            }
        }
        Assert.Empty(failures);
        Assert.Equal(HttpStatusCode.OK, (await server.PostRawAsync("/v1/embeddings", """{"input": "still serving"}""")).StatusCode);
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Runs the cases on one thread: any unexpected exception, a case that allocates too much, or a hang fails the test naming the case.</summary>
    private static void Fuzz(int cases, Action<int> run)
    {
        var current = -1;
        var loop = Task.Run(() =>
        {
            for (var i = 0; i < cases; i++)
            {
                current = i;
                var before = GC.GetAllocatedBytesForCurrentThread();
                try
                {
                    run(i);
                }
                catch (Exception e)
                {
                    throw new InvalidOperationException($"case {i} threw {e.GetType().Name}: {e.Message}", e);
                }
                var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                if (allocated > MaxAllocationPerCase)
                {
                    throw new InvalidOperationException($"case {i} allocated {allocated} bytes");
                }
            }
        }, TestContext.Current.CancellationToken);
        if (!loop.Wait(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken))
        {
            Assert.Fail($"case {current} did not finish (a hang)");
        }
        loop.GetAwaiter().GetResult();
    }

    /// <summary>A few-kilobyte GGUF with the metadata and tensors a Qwen3 file has, and a tiny byte-level vocabulary.</summary>
    private static void TinyGguf(string path)
    {
        var tokens = Enumerable.Range(0, 256).Select(b => ((char)(b < 33 ? 0x100 + b : b)).ToString()).Append("Ġw").Append("<|endoftext|>").ToArray();
        var types = tokens.Select((_, i) => i == tokens.Length - 1 ? 3 : 1).ToArray();
        var writer = new GgufWriter()
            .Add("general.architecture", "qwen3")
            .Add("qwen3.embedding_length", 32u).Add("qwen3.block_count", 1u).Add("qwen3.feed_forward_length", 64u)
            .Add("qwen3.attention.head_count", 2u).Add("qwen3.attention.head_count_kv", 1u).Add("qwen3.attention.key_length", 16u)
            .Add("qwen3.context_length", 128u).Add("qwen3.attention.layer_norm_rms_epsilon", 1e-6f).Add("qwen3.rope.freq_base", 1e6f)
            .Add("qwen3.pooling_type", 3u)
            .Add("tokenizer.ggml.model", "gpt2").Add("tokenizer.ggml.pre", "qwen2")
            .Add("tokenizer.ggml.tokens", tokens).Add("tokenizer.ggml.token_type", types).Add("tokenizer.ggml.merges", ["Ġ w"])
            .Add("tokenizer.ggml.add_eos_token", true).Add("tokenizer.ggml.eos_token_id", (uint)(tokens.Length - 1));
        writer.AddTensor("token_embd.weight", TensorType.F32, [tokens.Length, 32], s => s.Write(new byte[tokens.Length * 32 * 4]));
        writer.AddTensor("blk.0.attn_q.weight", TensorType.Q8_0, [32, 32], s => s.Write(new byte[32 * 34]));
        writer.AddTensor("output_norm.weight", TensorType.F32, [32], s => s.Write(new byte[128]));
        writer.Write(path);
    }

    /// <summary>The fixture's tokenizer.json cut down to its first 600 vocabulary entries and the merges among them.</summary>
    private static JsonNode SmallTokenizerJson()
    {
        var full = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.EmbeddingModel, "tokenizer.json")))!;
        var vocab = full["model"]!["vocab"]!.AsObject().Where(p => p.Value!.GetValue<int>() < 600)
            .ToDictionary(p => p.Key, p => p.Value!.GetValue<int>());
        var merges = full["model"]!["merges"]!.AsArray().Select(m => m!.AsArray().Select(t => t!.GetValue<string>()).ToArray())
            .Where(m => vocab.ContainsKey(m[0]) && vocab.ContainsKey(m[1]) && vocab.ContainsKey(m[0] + m[1])).ToArray();
        var small = full.DeepClone();
        small["model"]!["vocab"] = new JsonObject(vocab.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value))));
        small["model"]!["merges"] = new JsonArray(merges.Select(m => (JsonNode?)new JsonArray(JsonValue.Create(m[0]), JsonValue.Create(m[1]))).ToArray());
        return small;
    }
}
