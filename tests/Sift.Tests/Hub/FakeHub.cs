using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Sift.Tests.Hub;

/// <summary>
/// A Hugging Face Hub (and ModelScope) stand-in on 127.0.0.1, serving local folders in the hubs'
/// URL layout: revision listings, /resolve/ with ETag, X-Linked-Etag and X-Repo-Commit, HTTP Range;
/// with switches to require a token, cut a download short, or serve corrupt bytes.
/// </summary>
public sealed class FakeHub : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<string, (string Directory, string Commit)> _repositories = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _cutsLeft = new();

    private FakeHub(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    /// <summary>Every request: method, path and query, Range header.</summary>
    public ConcurrentQueue<(string Method, string Path, string? Range)> Requests { get; } = new();

    /// <summary>When set, every request needs "Authorization: Bearer {token}".</summary>
    public string? RequiredToken { get; set; }

    /// <summary>Files (by name) served with one byte flipped, while the ETag keeps the true hash.</summary>
    public HashSet<string> CorruptFiles { get; } = [];

    /// <summary>The next <paramref name="times"/> downloads of a file (ranged or not) stop after sending <paramref name="bytes"/> bytes.</summary>
    public void CutDownloads(string file, int times, int bytes)
    {
        _cutsLeft[file] = times;
        CutAfterBytes = bytes;
    }

    public int CutAfterBytes { get; private set; }

    // Hostile switches: a hub, mirror or ModelScope endpoint that lies.

    /// <summary>Replaces the whole body of every Hugging Face listing.</summary>
    public string? RawListing { get; set; }

    /// <summary>Replaces the commit every listing names.</summary>
    public string? ListedCommit { get; set; }

    /// <summary>More entries in every listing (they need not exist).</summary>
    public List<(string Name, long Size)> ExtraSiblings { get; } = [];

    /// <summary>Replaces the ETag (and X-Linked-Etag) of a file.</summary>
    public Dictionary<string, string> Etags { get; } = [];

    /// <summary>Files whose GET sends this many bytes more than the size HEAD announced.</summary>
    public Dictionary<string, int> ExtraBytes { get; } = [];

    /// <summary>Files whose ranged GETs answer 206 with a Content-Range that starts at 0 while the bytes start where asked.</summary>
    public HashSet<string> MisplacedRanges { get; } = [];

    /// <summary>Files whose GET sends half the bytes, then nothing until the client gives up.</summary>
    public HashSet<string> StalledFiles { get; } = [];

    /// <summary>When set, HEAD of large files redirects there (as the hub redirects to its CDN), keeping the X-Linked headers.</summary>
    public Uri? RedirectLargeFilesTo { get; set; }

    /// <summary>The Authorization header of every request that carried one.</summary>
    public ConcurrentQueue<string> Authorizations { get; } = new();

    public static async Task<FakeHub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var hub = new FakeHub(app);
        app.Use(async (context, next) =>
        {
            hub.Requests.Enqueue((context.Request.Method, context.Request.Path + context.Request.QueryString, context.Request.Headers.Range.FirstOrDefault()));
            if (context.Request.Headers.Authorization.FirstOrDefault() is { } authorization)
            {
                hub.Authorizations.Enqueue(authorization);
            }
            if (hub.RequiredToken is { } token && context.Request.Headers.Authorization != $"Bearer {token}")
            {
                context.Response.StatusCode = 401;
                await context.Response.WriteAsync("{\"error\": \"Invalid credentials\"}");
                return;
            }
            await next(context);
        });
        app.MapGet("/api/models/{org}/{name}/revision/{revision}", (string org, string name, string revision) => hub.Listing($"{org}/{name}", revision));
        app.MapMethods("/{org}/{name}/resolve/{revision}/{**file}", ["GET", "HEAD"],
            (HttpContext context, string org, string name, string revision, string file) => hub.ServeAsync(context, $"{org}/{name}", revision, file, huggingFace: true));
        app.MapGet("/api/v1/models/{org}/{name}/repo/files", (string org, string name) => hub.ModelScopeListing($"{org}/{name}"));
        app.MapGet("/api/v1/models/{org}/{name}/repo", (HttpContext context, string org, string name, string FilePath, string Revision) =>
            hub.ServeAsync(context, $"{org}/{name}", Revision, FilePath, huggingFace: false));
        await app.StartAsync();
        hub.Address = Sift.Server.Hosting.SiftServer.ListeningAddress(app);
        return hub;
    }

    /// <summary>Serves the files of <paramref name="directory"/> as repository <paramref name="id"/>; returns its commit.</summary>
    public string Add(string id, string directory)
    {
        var commit = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(id + directory)));
        _repositories[id] = (directory, commit);
        return commit;
    }

    /// <summary>ModelScope answers in PascalCase (minimal APIs would write camelCase).</summary>
    private static readonly System.Text.Json.JsonSerializerOptions PascalCase = new() { PropertyNamingPolicy = null };

    public static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    public static string GitSha1(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {bytes.Length}\0"), .. bytes]));
    }

    public static bool IsLarge(string file) => file.EndsWith(".safetensors", StringComparison.Ordinal) || file.EndsWith(".gguf", StringComparison.Ordinal);

    private IResult Listing(string id, string revision)
    {
        if (!_repositories.TryGetValue(id, out var repository) || revision != "main" && revision != repository.Commit)
        {
            return Results.Json(new { error = "Repository not found" }, statusCode: 404);
        }
        if (RawListing is { } raw)
        {
            return Results.Text(raw, "application/json");
        }
        return Results.Json(new
        {
            id,
            sha = ListedCommit ?? repository.Commit,
            siblings = Directory.GetFiles(repository.Directory).Order(StringComparer.Ordinal)
                .Select(f => new { rfilename = Path.GetFileName(f), size = new FileInfo(f).Length })
                .Concat(ExtraSiblings.Select(e => new { rfilename = e.Name, size = e.Size })),
        });
    }

    private IResult ModelScopeListing(string id)
    {
        if (!_repositories.TryGetValue(id, out var repository))
        {
            return Results.Json(new { Code = 10010205, Message = "model not found" }, statusCode: 404);
        }
        return Results.Json(new
        {
            Code = 200,
            Data = new
            {
                Files = Directory.GetFiles(repository.Directory).Order(StringComparer.Ordinal).Select(f => new
                {
                    Name = Path.GetFileName(f), Path = Path.GetFileName(f), Size = new FileInfo(f).Length,
                    Sha256 = Etags.GetValueOrDefault(Path.GetFileName(f)) ?? Sha256(f), Type = "blob",
                }).Concat(ExtraSiblings.Select(e => new { Name = e.Name, Path = e.Name, Size = e.Size, Sha256 = new string('a', 64), Type = "blob" })),
            },
        }, PascalCase);
    }

    private async Task ServeAsync(HttpContext context, string id, string revision, string file, bool huggingFace)
    {
        if (!_repositories.TryGetValue(id, out var repository) || !File.Exists(Path.Combine(repository.Directory, file))
            || huggingFace && revision != "main" && revision != repository.Commit)
        {
            context.Response.StatusCode = 404;
            return;
        }
        var path = Path.Combine(repository.Directory, file);
        var bytes = await File.ReadAllBytesAsync(path);
        if (huggingFace)
        {
            context.Response.Headers["X-Repo-Commit"] = repository.Commit;
            var etag = Etags.GetValueOrDefault(file) ?? (IsLarge(file) ? Sha256(path) : GitSha1(path));
            if (IsLarge(file))
            {
                context.Response.Headers["X-Linked-Etag"] = $"\"{etag}\"";
                context.Response.Headers["X-Linked-Size"] = bytes.Length.ToString();
                if (RedirectLargeFilesTo is { } cdn && HttpMethods.IsHead(context.Request.Method))
                {
                    context.Response.StatusCode = 302;
                    context.Response.Headers.Location = new Uri(cdn, context.Request.Path).ToString();
                    return;
                }
            }
            context.Response.Headers.ETag = $"\"{etag}\"";
        }
        context.Response.Headers.AcceptRanges = "bytes";
        if (CorruptFiles.Contains(file))
        {
            bytes = [.. bytes];
            bytes[bytes.Length / 2] ^= 0xFF;
        }
        var start = 0L;
        if (context.Request.Headers.Range.FirstOrDefault() is { } range && range.StartsWith("bytes=", StringComparison.Ordinal))
        {
            start = long.Parse(range[6..].TrimEnd('-'));
            context.Response.StatusCode = 206;
            var claimed = MisplacedRanges.Contains(file) ? 0 : start;
            context.Response.Headers.ContentRange = $"bytes {claimed}-{bytes.Length - 1}/{bytes.Length}";
        }
        if (HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.ContentLength = bytes.Length - start;
            return;
        }
        if (ExtraBytes.TryGetValue(file, out var extra))
        {
            // No Content-Length: the body simply goes on past the announced size.
            await context.Response.Body.WriteAsync(bytes.AsMemory((int)start));
            await context.Response.Body.WriteAsync(new byte[extra]);
            return;
        }
        context.Response.ContentLength = bytes.Length - start;
        if (StalledFiles.Contains(file))
        {
            await context.Response.Body.WriteAsync(bytes.AsMemory((int)start, (bytes.Length - (int)start) / 2));
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            return;
        }
        if (_cutsLeft.TryGetValue(file, out var cuts) && cuts > 0)
        {
            _cutsLeft[file] = cuts - 1;
            await context.Response.Body.WriteAsync(bytes.AsMemory((int)start, CutAfterBytes));
            await context.Response.Body.FlushAsync();
            context.Abort();
            return;
        }
        await context.Response.Body.WriteAsync(bytes.AsMemory((int)start));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
