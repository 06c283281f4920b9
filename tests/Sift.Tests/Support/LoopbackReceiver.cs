using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sift.Tests.Support;

/// <summary>
/// A real HTTP server on 127.0.0.1 (a free port) that records every request and answers each
/// with the next scripted response (status and headers), then 200 once the script is used up.
/// </summary>
public sealed class LoopbackReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(int Status, string? RetryAfter, string Body)> _script;

    private LoopbackReceiver(WebApplication app, IEnumerable<(int Status, string? RetryAfter, string Body)> script)
    {
        _app = app;
        _script = new(script);
    }

    /// <summary>What each request carried, in arrival order, with its arrival time.</summary>
    public ConcurrentQueue<(string Path, string Body, DateTimeOffset Time)> Requests { get; } = new();

    public Uri Address { get; private set; } = null!;

    public static async Task<LoopbackReceiver> StartAsync(params (int Status, string? RetryAfter, string Body)[] script)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new LoopbackReceiver(app, script);
        app.Run(receiver.AnswerAsync);
        await app.StartAsync();
        receiver.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return receiver;
    }

    private async Task AnswerAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        Requests.Enqueue((context.Request.Path, await reader.ReadToEndAsync(), DateTimeOffset.UtcNow));
        var (status, retryAfter, body) = _script.TryDequeue(out var next) ? next : (200, null, "{}");
        context.Response.StatusCode = status;
        if (retryAfter is not null)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
