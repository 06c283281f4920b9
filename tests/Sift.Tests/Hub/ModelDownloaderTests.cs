using Sift.Engine;
using Sift.Hub;
using Sift.Tests.Qwen3;

namespace Sift.Tests.Hub;

public sealed class ModelDownloaderTests : IAsyncLifetime
{
    private const string EmbeddingId = "Qwen/Qwen3-Tiny-Embedding";
    private const string RerankerId = "Qwen/Qwen3-Tiny-Reranker";
    private readonly DirectoryInfo _cache = Directory.CreateTempSubdirectory("sift-hf-cache-");
    private FakeHub _hub = null!;
    private string _embeddingCommit = null!;

    public async ValueTask InitializeAsync()
    {
        _hub = await FakeHub.StartAsync();
        _embeddingCommit = _hub.Add(EmbeddingId, Fixtures.EmbeddingModel);
        _hub.Add(RerankerId, Fixtures.RerankerModel);
    }

    public async ValueTask DisposeAsync()
    {
        await _hub.DisposeAsync();
        _cache.Delete(recursive: true);
    }

    private HubOptions Options(string? token = null, bool offline = false, HubKind kind = HubKind.HuggingFace) => new()
    {
        Kind = kind,
        Endpoint = _hub.Address.ToString().TrimEnd('/'),
        CacheDirectory = _cache.FullName,
        Token = token,
        Offline = offline,
    };

    [Fact]
    public async Task FirstDownload_FetchesOnlyNeededFilesInTheHuggingFaceCacheLayout()
    {
        var path = await ModelSource.ResolveAsync(EmbeddingId, Options(), cancellationToken: TestContext.Current.CancellationToken);

        var repository = Path.Combine(_cache.FullName, "models--Qwen--Qwen3-Tiny-Embedding");
        Assert.Equal(Path.Combine(repository, "snapshots", _embeddingCommit), path);
        Assert.Equal(_embeddingCommit, File.ReadAllText(Path.Combine(repository, "refs", "main")));
        Assert.Equal(["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"],
            Directory.GetFiles(path).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray());
        var weights = new FileInfo(Path.Combine(path, "model.safetensors"));
        Assert.Equal($"../../blobs/{FakeHub.Sha256(Path.Combine(Fixtures.EmbeddingModel, "model.safetensors"))}", weights.LinkTarget);
        Assert.Equal($"../../blobs/{FakeHub.GitSha1(Path.Combine(Fixtures.EmbeddingModel, "config.json"))}", new FileInfo(Path.Combine(path, "config.json")).LinkTarget);
        Assert.DoesNotContain(_hub.Requests, r => r.Path.Contains("reference.json", StringComparison.Ordinal));

        using var embedder = Embedder.Load(new ModelOptions { Model = path });
        var reference = ReferenceCases.Embedding.Value[3];
        var vector = embedder.Embed([EmbeddingInput.Document(reference.Text)])[0].Vector;
        Assert.True(vector.Select((v, i) => Math.Abs(v - reference.Embedding[i])).Max() < 1e-4);
    }

    [Fact]
    public async Task ShardedModel_DownloadsTheShardsTheIndexNames()
    {
        var path = await ModelSource.ResolveAsync(RerankerId + "@main", Options(), cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(File.Exists(Path.Combine(path, "model-00001-of-00002.safetensors")));
        Assert.True(File.Exists(Path.Combine(path, "model-00002-of-00002.safetensors")));
        using var reranker = Reranker.Load(new ModelOptions { Model = path });
        var reference = ReferenceCases.Rerank.Value[0];
        Assert.True(Math.Abs(reranker.Score(reference.Query, [reference.Document])[0].Score - reference.Score) < 1e-4);
    }

    [Fact]
    public async Task SecondRun_ResolvesFromTheCacheWithoutAnyRequest()
    {
        var first = await ModelSource.ResolveAsync(EmbeddingId, Options(), cancellationToken: TestContext.Current.CancellationToken);
        _hub.Requests.Clear();
        var second = await ModelSource.ResolveAsync(EmbeddingId, Options(), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(first, second);
        Assert.Empty(_hub.Requests);
    }

    [Fact]
    public async Task ConnectionCut_RetriesResumeWithRangeWithinOneRun()
    {
        _hub.CutDownloads("model.safetensors", times: 1, bytes: 1 << 20);
        var path = await ModelSource.ResolveAsync(EmbeddingId, Options(), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Contains(_hub.Requests, r => r.Path.EndsWith("model.safetensors", StringComparison.Ordinal) && r.Range is { } range && range.StartsWith("bytes=", StringComparison.Ordinal));
        Assert.Equal(FakeHub.Sha256(Path.Combine(Fixtures.EmbeddingModel, "model.safetensors")), FakeHub.Sha256(Path.Combine(path, "model.safetensors")));
    }

    [Fact]
    public async Task ConnectionCutEveryAttempt_FailsClearly_ThenTheNextRunResumes()
    {
        _hub.CutDownloads("model.safetensors", times: 3, bytes: 300_000);
        var error = await Assert.ThrowsAsync<HubException>(() => ModelSource.ResolveAsync(EmbeddingId, Options(), cancellationToken: TestContext.Current.CancellationToken));
        var match = System.Text.RegularExpressions.Regex.Match(error.Message, "downloading 'model.safetensors' of '[^']+' failed after (\\d+) bytes .*; run again to resume");
        Assert.True(match.Success, error.Message);
        // A reset connection may drop bytes in flight, so the count is what arrived, somewhere below 3 × 300000.
        var received = long.Parse(match.Groups[1].Value);
        Assert.InRange(received, 1, 900_000);
        var blobs = Path.Combine(_cache.FullName, "models--Qwen--Qwen3-Tiny-Embedding", "blobs");
        var sha = FakeHub.Sha256(Path.Combine(Fixtures.EmbeddingModel, "model.safetensors"));
        Assert.False(File.Exists(Path.Combine(blobs, sha)), "no partial file may appear under its final name");
        Assert.Equal(received, new FileInfo(Path.Combine(blobs, sha + ".incomplete")).Length);

        _hub.Requests.Clear();
        var path = await ModelSource.ResolveAsync(EmbeddingId, Options(), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Contains(_hub.Requests, r => r.Method == "GET" && r.Range == $"bytes={received}-");
        Assert.Equal(sha, FakeHub.Sha256(Path.Combine(path, "model.safetensors")));
        Assert.False(File.Exists(Path.Combine(blobs, sha + ".incomplete")));
    }

    [Fact]
    public async Task ChecksumMismatch_FailsClearlyAndLeavesNothingInTheCache()
    {
        _hub.CorruptFiles.Add("model.safetensors");
        var error = await Assert.ThrowsAsync<HubException>(() => ModelSource.ResolveAsync(EmbeddingId, Options(), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("checksum mismatch for 'model.safetensors'", error.Message);
        Assert.Contains("SHA-256", error.Message);
        var repository = Path.Combine(_cache.FullName, "models--Qwen--Qwen3-Tiny-Embedding");
        var sha = FakeHub.Sha256(Path.Combine(Fixtures.EmbeddingModel, "model.safetensors"));
        Assert.False(File.Exists(Path.Combine(repository, "blobs", sha)));
        Assert.False(File.Exists(Path.Combine(repository, "blobs", sha + ".incomplete")));
        Assert.False(File.Exists(Path.Combine(repository, "snapshots", _embeddingCommit, "model.safetensors")));
        Assert.False(File.Exists(Path.Combine(repository, "refs", "main")));
    }

    [Fact]
    public async Task GatedRepository_Without401Token_NamesHfToken_AndWithTheTokenWorks()
    {
        _hub.RequiredToken = "hf_secret";
        var error = await Assert.ThrowsAsync<HubException>(() => ModelSource.ResolveAsync(EmbeddingId, Options(), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("401", error.Message);
        Assert.Contains("set HF_TOKEN", error.Message);
        var wrong = await Assert.ThrowsAsync<HubException>(() => ModelSource.ResolveAsync(EmbeddingId, Options("hf_wrong"), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("the token in HF_TOKEN may not read it", wrong.Message);
        var path = await ModelSource.ResolveAsync(EmbeddingId, Options("hf_secret"), cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(File.Exists(Path.Combine(path, "model.safetensors")));
    }

    [Fact]
    public async Task UnknownRepository_Is404NamingTheId()
    {
        var error = await Assert.ThrowsAsync<HubException>(() => ModelSource.ResolveAsync("Qwen/No-Such-Model", Options(), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("'Qwen/No-Such-Model'", error.Message);
        Assert.Contains("404", error.Message);
    }

    [Fact]
    public async Task Offline_ServesFromTheCacheAndRefusesWhatIsMissing()
    {
        var missing = await Assert.ThrowsAsync<HubException>(() => ModelSource.ResolveAsync(EmbeddingId, Options(offline: true), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("HF_HUB_OFFLINE", missing.Message);
        Assert.Empty(_hub.Requests);

        var online = await ModelSource.ResolveAsync(EmbeddingId, Options(), cancellationToken: TestContext.Current.CancellationToken);
        _hub.Requests.Clear();
        var offline = await ModelSource.ResolveAsync(EmbeddingId, Options(offline: true), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(online, offline);
        Assert.Empty(_hub.Requests);
    }

    [Fact]
    public async Task GgufRepository_DownloadsOnlyTheChosenQuantization()
    {
        var repository = Directory.CreateTempSubdirectory("sift-gguf-repo-").FullName;
        try
        {
            GgufConverter.Convert(Fixtures.EmbeddingModel, Path.Combine(repository, "Tiny-Embedding-Q8_0.gguf"), Sift.Checkpoints.TensorType.Q8_0, ModelKind.Embedding);
            GgufConverter.Convert(Fixtures.EmbeddingModel, Path.Combine(repository, "Tiny-Embedding-f16.gguf"), Sift.Checkpoints.TensorType.F16, ModelKind.Embedding);
            File.WriteAllText(Path.Combine(repository, "README.md"), "# GGUF");
            _hub.Add("Qwen/Tiny-Embedding-GGUF", repository);

            var ambiguous = await Assert.ThrowsAsync<HubException>(() => ModelSource.ResolveAsync("Qwen/Tiny-Embedding-GGUF", Options(), cancellationToken: TestContext.Current.CancellationToken));
            Assert.Contains(":QUANT", ambiguous.Message);
            var absent = await Assert.ThrowsAsync<HubException>(() => ModelSource.ResolveAsync("Qwen/Tiny-Embedding-GGUF:Q4_K_M", Options(), cancellationToken: TestContext.Current.CancellationToken));
            Assert.Contains("Tiny-Embedding-Q8_0.gguf", absent.Message);

            var path = await ModelSource.ResolveAsync("Qwen/Tiny-Embedding-GGUF:Q8_0", Options(), cancellationToken: TestContext.Current.CancellationToken);
            Assert.EndsWith("Tiny-Embedding-Q8_0.gguf", path);
            Assert.DoesNotContain(_hub.Requests, r => r.Method == "GET" && r.Path.Contains("f16.gguf", StringComparison.Ordinal));
            using var embedder = Embedder.Load(new ModelOptions { Model = path });
            Assert.Equal(64, embedder.Dimensions);
        }
        finally
        {
            Directory.Delete(repository, recursive: true);
        }
    }

    [Fact]
    public async Task GgufRepository_CachedQuantizationIsNotMistakenForAnotherWithTheSameEnding()
    {
        var repository = Directory.CreateTempSubdirectory("sift-gguf-repo-").FullName;
        try
        {
            GgufConverter.Convert(Fixtures.EmbeddingModel, Path.Combine(repository, "Tiny-Embedding-Q8_0.gguf"), Sift.Checkpoints.TensorType.Q8_0, ModelKind.Embedding);
            File.Copy(Path.Combine(repository, "Tiny-Embedding-Q8_0.gguf"), Path.Combine(repository, "Tiny-Embedding-IQ8_0.gguf"));
            _hub.Add("Qwen/Tiny-Embedding-GGUF", repository);

            var first = await ModelSource.ResolveAsync("Qwen/Tiny-Embedding-GGUF:IQ8_0", Options(), cancellationToken: TestContext.Current.CancellationToken);
            Assert.EndsWith("Tiny-Embedding-IQ8_0.gguf", first);
            // The cache now holds "-IQ8_0", which also ends in "Q8_0": asking for Q8_0 must still fetch "-Q8_0".
            var second = await ModelSource.ResolveAsync("Qwen/Tiny-Embedding-GGUF:Q8_0", Options(), cancellationToken: TestContext.Current.CancellationToken);
            Assert.EndsWith("Tiny-Embedding-Q8_0.gguf", second);
            Assert.DoesNotContain("IQ8_0", Path.GetFileName(second), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(repository, recursive: true);
        }
    }

    [Fact]
    public async Task ModelScope_DownloadsTheSameIdThroughItsApi()
    {
        var path = await ModelSource.ResolveAsync(EmbeddingId, Options(kind: HubKind.ModelScope), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Contains(_hub.Requests, r => r.Path.StartsWith("/api/v1/models/Qwen/Qwen3-Tiny-Embedding/repo/files", StringComparison.Ordinal));
        Assert.Equal(Path.Combine(_cache.FullName, "models--Qwen--Qwen3-Tiny-Embedding", "snapshots", "master"), path);
        Assert.Equal(FakeHub.Sha256(Path.Combine(Fixtures.EmbeddingModel, "model.safetensors")), FakeHub.Sha256(Path.Combine(path, "model.safetensors")));

        _hub.CorruptFiles.Add("tokenizer.json");
        Directory.Delete(_cache.FullName, recursive: true);
        var error = await Assert.ThrowsAsync<HubException>(() => ModelSource.ResolveAsync(EmbeddingId, Options(kind: HubKind.ModelScope), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("checksum mismatch for 'tokenizer.json'", error.Message);
    }

    [Theory]
    [InlineData("/no/such/dir", "no such model directory or .gguf file")]
    [InlineData("./model.gguf", "no such model directory or .gguf file")]
    [InlineData("not a model id", "neither a local model directory, a .gguf file, nor a hub id")]
    [InlineData("a/b/c", "neither a local model directory")]
    public async Task Resolve_BadSpec_SaysWhatItExpected(string spec, string message)
    {
        var error = await Assert.ThrowsAsync<HubException>(() => ModelSource.ResolveAsync(spec, Options(), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task Resolve_LocalDirectory_IsUsedAsIs()
    {
        Assert.Equal(Fixtures.EmbeddingModel, await ModelSource.ResolveAsync(Fixtures.EmbeddingModel, Options(), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Empty(_hub.Requests);
    }

    [Fact]
    public void HubOptions_FromEnvironment_ReadTheHuggingFaceVariables()
    {
        var options = HubOptions.FromEnvironment(HubKind.HuggingFace, new Dictionary<string, string?>
        {
            ["HF_ENDPOINT"] = "https://hf-mirror.com/", ["HF_TOKEN"] = "t", ["HF_HUB_OFFLINE"] = "1", ["HF_HOME"] = "/data/hf",
        });
        Assert.Equal("https://hf-mirror.com", options.Endpoint);
        Assert.Equal("t", options.Token);
        Assert.True(options.Offline);
        Assert.Equal("/data/hf/hub", options.CacheDirectory);
        Assert.Equal("https://www.modelscope.cn", HubOptions.FromEnvironment(HubKind.ModelScope, new Dictionary<string, string?>()).Endpoint);
    }
}
