using Sift.Hub;

namespace Sift.Tests.Hub;

/// <summary>A hub (or mirror, or ModelScope endpoint) that lies: names that would leave the cache, sizes, ranges, stalls, redirects.</summary>
public sealed class HostileHubTests : IAsyncLifetime
{
    private const string Id = "Qwen/Qwen3-Tiny-Embedding";
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sift-hostile-");
    private FakeHub _hub = null!;

    private string Cache => Path.Combine(_root.FullName, "cache");

    public async ValueTask InitializeAsync()
    {
        _hub = await FakeHub.StartAsync();
        _hub.Add(Id, Fixtures.EmbeddingModel);
    }

    public async ValueTask DisposeAsync()
    {
        await _hub.DisposeAsync();
        _root.Delete(recursive: true);
    }

    private HubOptions Options(HubKind kind = HubKind.HuggingFace, string? token = null, TimeSpan? readTimeout = null) => new()
    {
        Kind = kind,
        Endpoint = _hub.Address.ToString().TrimEnd('/'),
        CacheDirectory = Cache,
        Token = token,
        ReadTimeout = readTimeout ?? HubOptions.DefaultReadTimeout,
    };

    private Task<string> ResolveAsync(string spec, HubOptions options) =>
        ModelSource.ResolveAsync(spec, options, cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>Every file under the test's root that is not inside the cache's repository folders.</summary>
    private string[] FilesOutsideTheCache() =>
        Directory.EnumerateFileSystemEntries(_root.FullName, "*", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(Path.Combine(Cache, "models--"), StringComparison.Ordinal) && f != Cache).ToArray();

    [Theory]
    [InlineData("../../../escape-Q8_0.gguf")]
    [InlineData("/tmp/sift-rooted-Q8_0.gguf")]
    [InlineData("a/../../../escape-Q8_0.gguf")]
    [InlineData("a\\\\..\\\\escape-Q8_0.gguf")]
    public async Task ListedFileNameLeavingTheCache_IsRefused(string name)
    {
        _hub.ExtraSiblings.Add((name, 10));
        foreach (var kind in new[] { HubKind.HuggingFace, HubKind.ModelScope })
        {
            var error = await Assert.ThrowsAsync<HubException>(() => ResolveAsync(Id + ":Q8_0", Options(kind)));
            Assert.Contains("not a valid file name", error.Message);
        }
        Assert.Empty(FilesOutsideTheCache());
        Assert.False(File.Exists("/tmp/sift-rooted-Q8_0.gguf"));
    }

    [Theory]
    [InlineData("../../../../escape")]
    [InlineData("/tmp/sift-commit")]
    [InlineData("0123")]
    public async Task ListedCommitThatIsNotAHash_IsRefused(string commit)
    {
        _hub.ListedCommit = commit;
        var error = await Assert.ThrowsAsync<HubException>(() => ResolveAsync(Id, Options()));
        Assert.Contains("not a 40-digit hex hash", error.Message);
        Assert.Empty(FilesOutsideTheCache());
    }

    [Theory]
    [InlineData("../../../../escape-blob")]
    [InlineData("/tmp/sift-etag")]
    [InlineData("not-hex-not-a-checksum")]
    public async Task EtagThatIsNotAChecksum_IsRefused(string etag)
    {
        _hub.Etags["config.json"] = etag;
        var error = await Assert.ThrowsAsync<HubException>(() => ResolveAsync(Id, Options()));
        Assert.Contains("not a valid etag", error.Message);
        Assert.Empty(FilesOutsideTheCache());
        Assert.False(File.Exists("/tmp/sift-etag"));
    }

    [Theory]
    [InlineData("Qwen/Qwen3-Tiny-Embedding@/tmp/sift-ref")]
    [InlineData("Qwen/Qwen3-Tiny-Embedding@a//b")]
    [InlineData("Qwen/Qwen3-Tiny-Embedding@.hidden")]
    public async Task RevisionThatIsAPath_IsRefusedBeforeAnyRequest(string spec)
    {
        var error = await Assert.ThrowsAsync<HubException>(() => ResolveAsync(spec, Options()));
        Assert.Contains("not a branch, tag or commit", error.Message);
        Assert.Empty(_hub.Requests);
        Assert.False(File.Exists("/tmp/sift-ref"));
    }

    [Fact]
    public void PullRequestRevision_IsAValidRef()
    {
        Assert.Equal("refs/pr/1", ModelReference.TryParse("Qwen/X@refs/pr/1")!.Revision);
        Assert.Null(ModelReference.TryParse("Qwen/X@refs/pr/1.lock"));
    }

    [Fact]
    public async Task BodyLongerThanAnnounced_IsCutOffAtTheAnnouncedSize()
    {
        _hub.ExtraBytes["model.safetensors"] = 64 << 20;
        var error = await Assert.ThrowsAsync<HubException>(() => ResolveAsync(Id, Options()));
        Assert.Contains("sent more than the", error.Message);
        var weights = Path.Combine(Fixtures.EmbeddingModel, "model.safetensors");
        var size = new FileInfo(weights).Length;
        var partial = Path.Combine(Cache, "models--Qwen--Qwen3-Tiny-Embedding", "blobs", FakeHub.Sha256(weights) + ".incomplete");
        Assert.True(new FileInfo(partial).Length <= size, $"{new FileInfo(partial).Length} bytes written for a {size}-byte file");
    }

    [Fact]
    public async Task ResumedRangeStartingElsewhere_IsDiscardedAndTheFileStartsOver()
    {
        _hub.CutDownloads("model.safetensors", times: 1, bytes: 1 << 20);
        _hub.MisplacedRanges.Add("model.safetensors");
        var path = await ResolveAsync(Id, Options());
        Assert.Equal(FakeHub.Sha256(Path.Combine(Fixtures.EmbeddingModel, "model.safetensors")), FakeHub.Sha256(Path.Combine(path, "model.safetensors")));
        // The resumed answer claimed bytes from 0: it was dropped, and a whole download followed.
        var gets = _hub.Requests.Where(r => r.Method == "GET" && r.Path.EndsWith("model.safetensors", StringComparison.Ordinal)).ToArray();
        Assert.Contains(gets, r => r.Range is not null);
        Assert.Null(gets[^1].Range);
    }

    [Fact]
    public async Task StalledDownload_FailsAfterTheReadTimeout()
    {
        _hub.StalledFiles.Add("model.safetensors");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<HubException>(() => ResolveAsync(Id, Options(readTimeout: TimeSpan.FromSeconds(2))));
        Assert.Contains("no data arrived for 2 s", error.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Token_GoesOnlyToTheEndpointsSchemeHostAndPort()
    {
        // The hub redirects large files to a "CDN" on the same host but another port: it must not see the token.
        await using var cdn = await FakeHub.StartAsync();
        cdn.Add(Id, Fixtures.EmbeddingModel);
        _hub.RedirectLargeFilesTo = cdn.Address;
        var path = await ResolveAsync(Id, Options(token: "hf_secret"));
        Assert.True(File.Exists(Path.Combine(path, "model.safetensors")));
        Assert.Contains(cdn.Requests, r => r.Path.EndsWith("model.safetensors", StringComparison.Ordinal));
        Assert.Empty(cdn.Authorizations);
        Assert.Contains("Bearer hf_secret", _hub.Authorizations);
    }

    [Fact]
    public async Task SnapshotLinkToAMissingBlob_CountsAsMissingAndIsFetchedAgain()
    {
        var path = await ResolveAsync(Id, Options());
        var weights = new FileInfo(Path.Combine(path, "model.safetensors"));
        File.Delete(weights.ResolveLinkTarget(returnFinalTarget: true)!.FullName);
        _hub.Requests.Clear();

        var again = await ResolveAsync(Id, Options());

        Assert.Equal(path, again);
        Assert.Contains(_hub.Requests, r => r.Method == "GET" && r.Path.EndsWith("model.safetensors", StringComparison.Ordinal));
        Assert.Equal(FakeHub.Sha256(Path.Combine(Fixtures.EmbeddingModel, "model.safetensors")), FakeHub.Sha256(Path.Combine(again, "model.safetensors")));
    }

    [Fact]
    public async Task RefFileHoldingAPath_IsRefused()
    {
        var refs = Path.Combine(Cache, "models--Qwen--Qwen3-Tiny-Embedding", "refs");
        Directory.CreateDirectory(refs);
        File.WriteAllText(Path.Combine(refs, "main"), "../../../../escape");
        var error = await Assert.ThrowsAsync<HubException>(() => ResolveAsync(Id, Options()));
        Assert.Contains("not a valid commit", error.Message);
    }

    [Theory]
    [InlineData("not json at all", "did not send a readable JSON listing")]
    [InlineData("""{"sha": 5, "siblings": []}""", "cannot read")]
    [InlineData("""{"sha": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "siblings": [{"rfilename": 3}]}""", "cannot read")]
    [InlineData("""{"sha": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "siblings": [{"size": 3}]}""", "cannot read")]
    public async Task MalformedListing_IsAClearError(string listing, string message)
    {
        _hub.RawListing = listing;
        var error = await Assert.ThrowsAsync<HubException>(() => ResolveAsync(Id, Options()));
        Assert.Contains(message, error.Message);
    }
}
