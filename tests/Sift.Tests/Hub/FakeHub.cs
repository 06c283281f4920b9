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
        return Results.Json(new
        {
            id,
            sha = repository.Commit,
            siblings = Directory.GetFiles(repository.Directory).Order(StringComparer.Ordinal)
                .Select(f => new { rfilename = Path.GetFileName(f), size = new FileInfo(f).Length }),
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
                    Name = Path.GetFileName(f), Path = Path.GetFileName(f), Size = new FileInfo(f).Length, Sha256 = Sha256(f), Type = "blob",
                }),
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
            if (IsLarge(file))
            {
                context.Response.Headers["X-Linked-Etag"] = $"\"{Sha256(path)}\"";
                context.Response.Headers["X-Linked-Size"] = bytes.Length.ToString();
            }
            context.Response.Headers.ETag = $"\"{(IsLarge(file) ? Sha256(path) : GitSha1(path))}\"";
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
            context.Response.Headers.ContentRange = $"bytes {start}-{bytes.Length - 1}/{bytes.Length}";
        }
        context.Response.ContentLength = bytes.Length - start;
        if (HttpMethods.IsHead(context.Request.Method))
        {
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
