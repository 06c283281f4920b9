using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sift.Server.Caching;
using Sift.Server.Hosting;
using Sift.Tests.Support;
using Sift.Tokenization;

namespace Sift.Tests.Server;

/// <summary>
/// The models' cache fingerprints: computed once after loading from the files' full digests, so a
/// change anywhere in a weight file is another model, and files that go away later fail nothing.
/// </summary>
public sealed class ModelFingerprintTests
{
    private const string Text = "Beijing is the capital of China.";

    [Fact]
    public async Task ModelFileRemovedAfterStart_EmbeddingsStillAnswer200_AndStillCache()
    {
        // A hub snapshot cleaned up, or a rolling update, under a running server: the model serves from memory.
        using var copy = new FixtureCopy(Fixtures.EmbeddingModel);
        await using var server = await TestServer.StartAsync(new ServerOptions { Model = copy.Directory });
        File.Delete(Path.Combine(copy.Directory, "config.json"));
        File.Delete(Path.Combine(copy.Directory, "tokenizer.json"));

        var first = await EmbedAsync(server, Text);
        var second = await EmbedAsync(server, Text);
        var rerank = await server.PostJsonAsync("/v1/rerank", new { query = Text, documents = new[] { "a" } });

        Assert.Equal(("miss", "hit"), (first.Cache, second.Cache));
        Assert.Equal(first.Vector, second.Vector);
        Assert.Equal(HttpStatusCode.OK, rerank.StatusCode);
    }

    [Fact]
    public async Task ModelFilesThatCannotBeHashed_AreServedUncached_NotFailed()
    {
        // A file the loader does not read but the fingerprint does, unreadable (a dangling link, as a half-removed snapshot leaves):
        // the fingerprint cannot be computed, so the model's results are computed every time, and every request still answers.
        using var copy = new FixtureCopy(Fixtures.EmbeddingModel);
        File.CreateSymbolicLink(Path.Combine(copy.Directory, "generation_config.json"), Path.Combine(copy.Directory, "gone.json"));
        await using var server = await TestServer.StartAsync(new ServerOptions { Model = copy.Directory });

        var first = await EmbedAsync(server, Text);
        var second = await EmbedAsync(server, Text);

        Assert.Equal(("miss", "miss"), (first.Cache, second.Cache));
        Assert.Equal(first.Vector, second.Vector);
        Assert.Equal(0, await Metrics.ReadAsync(server, "sift_cache_requests_total{kind=\"embedding\"}"));
    }

    [Fact]
    public async Task OneByteChangedInTheMiddleOfAWeightFile_IsAnotherModel_ItsEmbeddingIsNotTheOthersCachedOne()
    {
        // A fine-tune that leaves the file's size, header and both ends alone (here: one value of one
        // embedding row, 2+ MiB from either end) must not be answered from the base model's entries.
        await using var redis = await RedisServer.StartAsync();
        using var original = new FixtureCopy(Fixtures.EmbeddingModel);
        using var changed = new FixtureCopy(Fixtures.EmbeddingModel);
        var weights = Path.Combine(changed.Directory, "model.safetensors");
        var offset = FlipOneValueOfARowOf(weights, Text);
        Assert.InRange(offset, 2L << 20, new FileInfo(weights).Length - (2L << 20));
        var cache = CacheOptions.Parse(redis.CacheSpec, 1000, TimeSpan.FromHours(1)) with { RedisTimeout = TimeSpan.FromSeconds(5) };

        (float[] Vector, string? Cache) before;
        await using (var first = await TestServer.StartAsync(new ServerOptions { Model = original.Directory, Cache = cache }))
        {
            before = await EmbedAsync(first, Text);
        }
        await using var second = await TestServer.StartAsync(new ServerOptions { Model = changed.Directory, Cache = cache });
        var after = await EmbedAsync(second, Text);

        Assert.Equal(("miss", "miss"), (before.Cache, after.Cache));
        Assert.NotEqual(before.Vector, after.Vector);
        // The same files again (the original's copy) do share Redis' entry: the fingerprint is the files, not their path.
        using var sameFiles = new FixtureCopy(Fixtures.EmbeddingModel);
        await using var third = await TestServer.StartAsync(new ServerOptions { Model = sameFiles.Directory, Cache = cache });
        var again = await EmbedAsync(third, Text);
        Assert.Equal("hit", again.Cache);
        Assert.Equal(before.Vector, again.Vector);
    }

    [Fact]
    public async Task AnotherKernelPath_SharingRedis_IsAMiss_TheSamePathAHit()
    {
        // The fp32 paths agree within 1e-5, not bitwise: a replica on another instruction set (AVX2 beside
        // AVX-512, or DOTNET_EnableAVX512=0) must not answer this one's bits from Redis.
        await using var redis = await RedisServer.StartAsync();
        var text = $"kernel path {Guid.NewGuid():N}";
        var cache = CacheOptions.Parse(redis.CacheSpec, 1000, TimeSpan.FromHours(1)) with { RedisTimeout = TimeSpan.FromSeconds(5) };
        await using (var inProcess = await TestServer.StartAsync(new ServerOptions { Cache = cache }))
        {
            Assert.Equal("miss", (await EmbedAsync(inProcess, text)).Cache);
        }
        var otherPath = System.Runtime.Intrinsics.X86.Avx512F.IsSupported
            ? new Dictionary<string, string> { ["DOTNET_EnableAVX512"] = "0" }
            : new Dictionary<string, string> { ["DOTNET_EnableAVX2"] = "0" };

        Assert.Equal("miss", await EmbedInChildAsync(otherPath, redis.CacheSpec, text));
        Assert.Equal("hit", await EmbedInChildAsync(new Dictionary<string, string>(), redis.CacheSpec, text));
    }

    /// <summary>X-Sift-Cache of one embedding by a `sift serve` process, once its fingerprints are computed (its digests listed).</summary>
    private static async Task<string?> EmbedInChildAsync(IReadOnlyDictionary<string, string> environment, string cacheSpec, string text)
    {
        using var child = await ServeProcess.StartAsync(environment, "--cache", cacheSpec);
        await CacheTests.Eventually(async () =>
        {
            using var models = JsonDocument.Parse(await child.Http.GetStringAsync("/v1/models", TestContext.Current.CancellationToken));
            return models.RootElement.GetProperty("data").EnumerateArray()
                .All(m => m.GetProperty("files").EnumerateArray().All(f => f.GetProperty("sha256").ValueKind == JsonValueKind.String));
        });
        using var response = await child.Http.PostAsJsonAsync("/v1/embeddings", new { input = text }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.TryGetValues(CacheStatus.Header, out var values) ? values.Single() : null;
    }

    /// <summary>Changes one BF16 value of the embedding row of a token of <paramref name="text"/>, far from both ends of the file; returns its offset.</summary>
    private static long FlipOneValueOfARowOf(string safetensors, string text)
    {
        using var file = new FileStream(safetensors, FileMode.Open, FileAccess.ReadWrite);
        Span<byte> length = stackalloc byte[8];
        file.ReadExactly(length);
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(length);
        var header = new byte[headerLength];
        file.ReadExactly(header);
        using var json = JsonDocument.Parse(header);
        var table = json.RootElement.GetProperty("embed_tokens.weight");
        Assert.Equal("BF16", table.GetProperty("dtype").GetString());
        var rowBytes = table.GetProperty("shape")[1].GetInt64() * 2;
        var dataStart = 8 + headerLength + table.GetProperty("data_offsets")[0].GetInt64();
        var tokens = Tokenizer.Load(Fixtures.EmbeddingModel).Encode(text, addSpecialTokens: false);
        var middle = tokens.Select(t => dataStart + t * rowBytes).First(o => o > 2L << 20 && o < file.Length - (2L << 20));
        // The low byte of a BF16 value holds its mantissa: flipping its top mantissa bit keeps the value finite.
        file.Position = middle;
        var value = file.ReadByte();
        file.Position = middle;
        file.WriteByte((byte)(value ^ 0x40));
        return middle;
    }

    private static async Task<(float[] Vector, string? Cache)> EmbedAsync(TestServer server, string text)
    {
        using var response = await server.PostJsonAsync("/v1/embeddings", new { input = text });
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        var vector = json.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        return (vector, response.Headers.TryGetValues(CacheStatus.Header, out var values) ? values.Single() : null);
    }

    /// <summary>A copy of a fixture model in a temporary directory, removed on dispose.</summary>
    private sealed class FixtureCopy : IDisposable
    {
        public FixtureCopy(string model)
        {
            Directory = System.IO.Directory.CreateTempSubdirectory("sift-fingerprint-").FullName;
            foreach (var file in System.IO.Directory.GetFiles(model))
            {
                File.Copy(file, Path.Combine(Directory, Path.GetFileName(file)));
            }
        }

        public string Directory { get; }

        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
    }
}
