using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Sift.Hub;

/// <summary>
/// Fetches the files a model needs into the hub cache and returns the local path (the snapshot
/// directory, or the chosen .gguf file in it). Only the needed files are fetched: config, tokenizer
/// and the weights (for a GGUF repository only the chosen quantization). Downloads resume with
/// HTTP Range, are verified against the hub's SHA-256 or git SHA-1, and appear in the cache only
/// when complete (".incomplete" file, then rename). A revision already complete in the cache is
/// used without any request; with HF_HUB_OFFLINE nothing is ever requested.
/// </summary>
public sealed class ModelDownloader : IDisposable
{
    /// <summary>Attempts per file; each retry resumes where the last one stopped.</summary>
    private const int Attempts = 3;

    private const int CopyBufferBytes = 1 << 20;

    private readonly HubOptions _options;
    private readonly HttpClient _client;
    private readonly HttpClient _noRedirects;
    private readonly IRepositoryHub _hub;
    private readonly HubCache _cache;
    private readonly IProgress<DownloadProgress>? _progress;

    /// <summary>Creates a downloader; <paramref name="handler"/> replaces the network (tests).</summary>
    public ModelDownloader(HubOptions options, IProgress<DownloadProgress>? progress = null, Func<bool, HttpMessageHandler>? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _progress = progress;
        _client = new HttpClient(handler?.Invoke(true) ?? new SocketsHttpHandler { AllowAutoRedirect = true }) { Timeout = Timeout.InfiniteTimeSpan };
        _noRedirects = new HttpClient(handler?.Invoke(false) ?? new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromMinutes(2) };
        _hub = options.Kind == HubKind.ModelScope ? new ModelScopeHub(_client, options) : new HuggingFaceHub(_noRedirects, options);
        _cache = new HubCache(options.CacheDirectory);
    }

    /// <summary>The local path of the model: downloads what is missing.</summary>
    public async Task<string> DownloadAsync(ModelReference model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var cachedCommit = _cache.ReadRef(model.Id, model.Revision);
        if (cachedCommit is not null && CompletePath(model, _cache.Snapshot(model.Id, cachedCommit)) is { } cached)
        {
            return cached;
        }
        if (_options.Offline)
        {
            throw new HubException($"HF_HUB_OFFLINE is set and {model} is not complete in the cache at {_cache.Repository(model.Id)}");
        }

        var listing = await _hub.ListAsync(model, cancellationToken);
        var selection = Select(model, listing);
        foreach (var file in selection.Files)
        {
            await EnsureFileAsync(model, listing.Commit, file, cancellationToken);
        }
        // Shards come from the index, which is only readable once fetched.
        foreach (var shard in ShardsOf(model, listing))
        {
            await EnsureFileAsync(model, listing.Commit, shard, cancellationToken);
        }
        _cache.WriteRef(model.Id, model.Revision, listing.Commit);
        return CompletePath(model, _cache.Snapshot(model.Id, listing.Commit))
            ?? throw new HubException($"{model} was downloaded but its snapshot is incomplete at {_cache.Snapshot(model.Id, listing.Commit)}");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _client.Dispose();
        _noRedirects.Dispose();
    }

    /// <summary>The files to fetch first: a GGUF repository's chosen file, or config, tokenizer and the weight index or single file.</summary>
    private static (IReadOnlyList<RepositoryFile> Files, bool Gguf) Select(ModelReference model, RepositoryListing listing)
    {
        var byPath = listing.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var ggufs = listing.Files.Where(f => f.Path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)).ToList();
        var safetensors = listing.Files.Any(f => f.Path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase));
        if (model.Quantization is not null || !safetensors && ggufs.Count > 0)
        {
            return ([ChooseGguf(model, ggufs)], true);
        }
        var files = new List<RepositoryFile>();
        foreach (var required in new[] { "config.json", "tokenizer.json" })
        {
            files.Add(byPath.GetValueOrDefault(required)
                ?? throw new HubException($"'{model.Id}' has no {required} at {model.Revision}: Sift needs a Qwen3 model in the Hugging Face layout, or a GGUF repository"));
        }
        if (byPath.TryGetValue("tokenizer_config.json", out var tokenizerConfig))
        {
            files.Add(tokenizerConfig);
        }
        if (byPath.TryGetValue("model.safetensors.index.json", out var index))
        {
            files.Add(index);
        }
        else if (byPath.TryGetValue("model.safetensors", out var single))
        {
            files.Add(single);
        }
        else
        {
            throw new HubException($"'{model.Id}' has neither model.safetensors nor model.safetensors.index.json at {model.Revision}");
        }
        return (files, false);
    }

    private IEnumerable<RepositoryFile> ShardsOf(ModelReference model, RepositoryListing listing)
    {
        var index = Path.Combine(_cache.Snapshot(model.Id, listing.Commit), "model.safetensors.index.json");
        if (model.Quantization is not null || !File.Exists(index))
        {
            return [];
        }
        using var json = JsonDocument.Parse(File.ReadAllBytes(index));
        var shards = json.RootElement.GetProperty("weight_map").EnumerateObject().Select(e => e.Value.GetString()!).Distinct().Order(StringComparer.Ordinal);
        var byPath = listing.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        return shards.Select(s => byPath.GetValueOrDefault(s) ?? throw new HubException($"'{model.Id}': the index names shard {s}, which the repository does not list")).ToList();
    }

    private static RepositoryFile ChooseGguf(ModelReference model, List<RepositoryFile> ggufs)
    {
        var available = string.Join(", ", ggufs.Select(g => g.Path));
        if (ggufs.Count == 0)
        {
            throw new HubException($"'{model.Id}' has no .gguf files at {model.Revision}, so :{model.Quantization} cannot be chosen");
        }
        if (model.Quantization is null)
        {
            return ggufs.Count == 1 ? ggufs[0] : throw new HubException($"'{model.Id}' has several GGUF files; choose one with :QUANT, e.g. {model.Id}:Q8_0 ({available})");
        }
        var matches = ggufs.Where(g => IsQuantization(g.Path, model.Quantization)).ToList();
        return matches.Count == 1 ? matches[0]
            : throw new HubException($"'{model.Id}' has {(matches.Count == 0 ? "no" : "several")} GGUF file for :{model.Quantization}; available: {available}");
    }

    /// <summary>
    /// Whether a GGUF file is the quantization asked for: its name ends in "-Q8_0" or "_Q8_0", or is
    /// "Q8_0" (so ":Q8_0" does not also pick "-IQ8_0" or ":K_M" pick "-Q4_K_M").
    /// </summary>
    private static bool IsQuantization(string path, string quantization)
    {
        var stem = Path.GetFileNameWithoutExtension(path);
        return stem.EndsWith("-" + quantization, StringComparison.OrdinalIgnoreCase) || stem.EndsWith("_" + quantization, StringComparison.OrdinalIgnoreCase)
            || stem.Equals(quantization, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The local path when the snapshot holds everything the model needs; null otherwise.</summary>
    private static string? CompletePath(ModelReference model, string snapshot)
    {
        if (!Directory.Exists(snapshot))
        {
            return null;
        }
        var ggufs = Directory.EnumerateFiles(snapshot, "*.gguf", SearchOption.AllDirectories).ToList();
        if (model.Quantization is not null)
        {
            var match = ggufs.Where(g => IsQuantization(g, model.Quantization)).ToList();
            return match.Count == 1 ? match[0] : null;
        }
        if (!File.Exists(Path.Combine(snapshot, "config.json")))
        {
            return ggufs.Count == 1 ? ggufs[0] : null;
        }
        if (!File.Exists(Path.Combine(snapshot, "tokenizer.json")))
        {
            return null;
        }
        var index = Path.Combine(snapshot, "model.safetensors.index.json");
        if (File.Exists(index))
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(index));
            var shards = json.RootElement.GetProperty("weight_map").EnumerateObject().Select(e => e.Value.GetString()!).Distinct();
            return shards.All(s => File.Exists(Path.Combine(snapshot, s))) ? snapshot : null;
        }
        return File.Exists(Path.Combine(snapshot, "model.safetensors")) ? snapshot : null;
    }

    private async Task EnsureFileAsync(ModelReference model, string commit, RepositoryFile file, CancellationToken cancellationToken)
    {
        if (File.Exists(Path.Combine(_cache.Snapshot(model.Id, commit), file.Path)))
        {
            return;
        }
        var remote = await _hub.DescribeAsync(model, commit, file, cancellationToken);
        var blob = _cache.Blob(model.Id, remote.BlobId);
        if (!File.Exists(blob))
        {
            await DownloadBlobAsync(model, file.Path, remote, blob, cancellationToken);
        }
        _cache.Link(model.Id, commit, file.Path, remote.BlobId);
    }

    private async Task DownloadBlobAsync(ModelReference model, string path, RemoteFile remote, string blob, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        var incomplete = blob + ".incomplete";
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await FetchAsync(model, path, remote, incomplete, cancellationToken);
                break;
            }
            catch (Exception e) when (attempt < Attempts && e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                // The connection dropped: the next attempt resumes from the bytes already on disk.
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                var have = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
                throw new HubException($"downloading '{path}' of '{model.Id}' failed after {have} bytes ({e.Message}); run again to resume", e);
            }
        }
        Verify(path, remote, incomplete);
        File.Move(incomplete, blob, overwrite: true);
        _progress?.Report(new DownloadProgress(path, new FileInfo(blob).Length, remote.Size, true));
    }

    private async Task FetchAsync(ModelReference model, string path, RemoteFile remote, string incomplete, CancellationToken cancellationToken)
    {
        var have = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
        if (remote.Size is { } size && have == size)
        {
            return;
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, remote.Url);
        if (_options.Token is { } token && remote.Url.Host == new Uri(_options.Endpoint).Host)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
        if (have > 0)
        {
            request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(have, null);
        }
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            return;
        }
        if (!response.IsSuccessStatusCode)
        {
            throw HttpFailures.Describe(response, model, path, _options);
        }
        var resumed = response.StatusCode == HttpStatusCode.PartialContent;
        await using var target = new FileStream(incomplete, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, CopyBufferBytes);
        await using var source = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[CopyBufferBytes];
        var written = resumed ? have : 0;
        var lastReport = 0L;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            written += read;
            if (written - lastReport >= CopyBufferBytes)
            {
                lastReport = written;
                _progress?.Report(new DownloadProgress(path, written, remote.Size, false));
            }
        }
        if (remote.Size is { } expected && written < expected)
        {
            throw new IOException($"the connection closed at {written} of {expected} bytes");
        }
    }

    /// <summary>Checks the SHA-256 (large files) or git blob SHA-1 (small files) the hub gave; a mismatch removes the file.</summary>
    private static void Verify(string path, RemoteFile remote, string file)
    {
        string? expected = null, actual = null, algorithm = null;
        if (remote.Sha256 is { } sha256)
        {
            using var stream = File.OpenRead(file);
            (expected, actual, algorithm) = (sha256, Convert.ToHexStringLower(SHA256.HashData(stream)), "SHA-256");
        }
        else if (remote.GitSha1 is { } sha1)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            hash.AppendData(Encoding.ASCII.GetBytes($"blob {new FileInfo(file).Length}\0"));
            hash.AppendData(File.ReadAllBytes(file));
            (expected, actual, algorithm) = (sha1, Convert.ToHexStringLower(hash.GetHashAndReset()), "git SHA-1");
        }
        if (expected is not null && !string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(file);
            throw new HubException($"checksum mismatch for '{path}': the hub says {algorithm} {expected}, the download has {actual}; nothing was kept in the cache");
        }
    }
}
