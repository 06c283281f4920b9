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
        if (cachedCommit is not null && CompletePath(model, cachedCommit) is { } cached)
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
        return CompletePath(model, listing.Commit)
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
        var index = _cache.SnapshotFile(model.Id, listing.Commit, "model.safetensors.index.json");
        if (model.Quantization is not null || !HubCache.Exists(index))
        {
            return [];
        }
        var byPath = listing.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        return ShardNames(index).Select(s => byPath.GetValueOrDefault(s) ?? throw new HubException($"'{model.Id}': the index names shard {s}, which the repository does not list")).ToList();
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

    /// <summary>
    /// The local path when the snapshot holds everything the model needs; null otherwise. A file
    /// whose symlink points at a missing blob counts as missing (it is fetched again).
    /// </summary>
    private string? CompletePath(ModelReference model, string commit)
    {
        var snapshot = _cache.Snapshot(model.Id, commit);
        if (!Directory.Exists(snapshot))
        {
            return null;
        }
        bool Has(string file) => HubCache.Exists(_cache.SnapshotFile(model.Id, commit, file));
        var ggufs = Directory.EnumerateFiles(snapshot, "*.gguf", SearchOption.AllDirectories).Where(HubCache.Exists).ToList();
        if (model.Quantization is not null)
        {
            var match = ggufs.Where(g => IsQuantization(g, model.Quantization)).ToList();
            return match.Count == 1 ? match[0] : null;
        }
        if (!Has("config.json"))
        {
            return ggufs.Count == 1 ? ggufs[0] : null;
        }
        if (!Has("tokenizer.json"))
        {
            return null;
        }
        if (Has("model.safetensors.index.json"))
        {
            return ShardNames(_cache.SnapshotFile(model.Id, commit, "model.safetensors.index.json")).All(Has) ? snapshot : null;
        }
        return Has("model.safetensors") ? snapshot : null;
    }

    /// <summary>The shard files an index names (names from a downloaded file: checked like any hub name when used).</summary>
    private static IEnumerable<string> ShardNames(string index)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(index));
            return json.RootElement.GetProperty("weight_map").EnumerateObject().Select(e => e.Value.GetString()!).Distinct().Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new HubException($"{index} is not a safetensors index (a \"weight_map\" of tensor names to shard files): {e.Message}", e);
        }
    }

    private async Task EnsureFileAsync(ModelReference model, string commit, RepositoryFile file, CancellationToken cancellationToken)
    {
        if (HubCache.Exists(_cache.SnapshotFile(model.Id, commit, file.Path)))
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
        // The size bounds what is written: a hub that sends more than it announced is cut off.
        var size = remote.Size ?? throw new HubException($"the hub gave no size for '{path}' of '{model.Id}'; cannot bound the download");
        var have = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
        if (have > size)
        {
            File.Delete(incomplete);
            have = 0;
        }
        if (have == size)
        {
            return;
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, remote.Url);
        if (_options.Token is { } token && SameOrigin(remote.Url, new Uri(_options.Endpoint)))
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
        if (have > 0)
        {
            request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(have, null);
        }
        using var response = await SendAsync(request, cancellationToken);
        var resumed = response.StatusCode == HttpStatusCode.PartialContent;
        var range = response.Content.Headers.ContentRange;
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable || resumed && (range?.From != have || range.Length != size))
        {
            // Appending bytes that start elsewhere would corrupt the file: the next attempt starts over.
            File.Delete(incomplete);
            throw new IOException($"the hub answered a request for bytes {have}- of {size} with {(int)response.StatusCode} and the range \"{range}\"");
        }
        if (!response.IsSuccessStatusCode)
        {
            throw HttpFailures.Describe(response, model, path, _options);
        }
        await using var target = new FileStream(incomplete, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, CopyBufferBytes);
        await using var source = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[CopyBufferBytes];
        var written = resumed ? have : 0;
        var lastReport = 0L;
        int read;
        while ((read = await HubHttp.ReadAsync(source, buffer.AsMemory(0, (int)Math.Min(buffer.Length, size - written + 1)), _options.ReadTimeout, cancellationToken)) > 0)
        {
            if (written + read > size)
            {
                throw new HubException($"the hub sent more than the {size} bytes it announced for '{path}' of '{model.Id}'; nothing was kept");
            }
            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            written += read;
            if (written - lastReport >= CopyBufferBytes)
            {
                lastReport = written;
                _progress?.Report(new DownloadProgress(path, written, size, false));
            }
        }
        if (written < size)
        {
            throw new IOException($"the connection closed at {written} of {size} bytes");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await HubHttp.SendAsync(_client, request, _options.ReadTimeout, cancellationToken);
        }
        catch (HubException e)
        {
            // A stalled answer is retried like a cut connection.
            throw new IOException(e.Message, e);
        }
    }

    /// <summary>The token goes only where the endpoint is: same scheme, host and port (a redirect elsewhere gets none).</summary>
    private static bool SameOrigin(Uri url, Uri endpoint) =>
        Uri.Compare(url, endpoint, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

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
