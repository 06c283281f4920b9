using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Sift.Server.Hosting;

namespace Sift.Tests.Server;

public sealed class ServerAuthAndLimitsTests
{
    [Fact]
    public async Task ApiKey_RequiredEverywhereButHealthAndReady()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { ApiKey = "s3cret" });
        using var anonymous = new HttpClient { BaseAddress = server.Address };
        var cancel = TestContext.Current.CancellationToken;

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health", cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/ready", cancel)).StatusCode);
        foreach (var path in new[] { "/v1/models", "/metrics", "/openapi/v1.json" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path, cancel)).StatusCode);
        }
        var missing = await anonymous.PostAsync("/v1/embeddings", Json("""{"input": "x"}"""), cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        // RFC 9110: a 401 names the scheme it wants.
        Assert.Equal("Bearer", Assert.Single(missing.Headers.WwwAuthenticate).Scheme);
        using (var error = JsonDocument.Parse(await missing.Content.ReadAsStringAsync(cancel)))
        {
            Assert.Equal("authentication_error", error.RootElement.GetProperty("error").GetProperty("type").GetString());
        }

        anonymous.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "s3cret-not");
        var wrong = await anonymous.PostAsync("/embed", Json("""{"inputs": "x"}"""), cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("Bearer", Assert.Single(wrong.Headers.WwwAuthenticate).Scheme);
        using (var error = JsonDocument.Parse(await wrong.Content.ReadAsStringAsync(cancel)))
        {
            Assert.Equal("invalid API key", error.RootElement.GetProperty("error").GetString());
        }

        Assert.Equal(HttpStatusCode.OK, (await server.PostRawAsync("/v1/embeddings", """{"input": "x"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/v1/models", cancel)).StatusCode);
    }

    [Fact]
    public async Task BodyOverThePayloadLimit_Is413WithJsonError()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { PayloadLimit = 1024 });
        var big = "{\"input\": \"" + new string('x', 4096) + "\"}";
        var response = await server.PostRawAsync("/v1/embeddings", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Contains("1024 byte limit", error.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.OK, (await server.PostRawAsync("/v1/embeddings", """{"input": "small"}""")).StatusCode);
    }

    [Fact]
    public async Task RequestsOverTheConcurrencyLimit_Get429WithRetryAfter()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { MaxConcurrentRequests = 1 });
        // Hold the only slot with a request whose body is still arriving: admission happens before the body is read.
        using var slow = new TcpClient();
        await slow.ConnectAsync(server.Address.Host, server.Address.Port, TestContext.Current.CancellationToken);
        var stream = slow.GetStream();
        var head = $"POST /v1/embeddings HTTP/1.1\r\nHost: {server.Address.Authority}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"input\":";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), TestContext.Current.CancellationToken);
        await stream.FlushAsync(TestContext.Current.CancellationToken);
        // Trickle JSON whitespace so Kestrel's minimum body data rate never drops the slow request.
        using var trickling = new CancellationTokenSource();
        var trickle = Task.Run(async () =>
        {
            for (var i = 0; i < 900 && !trickling.IsCancellationRequested; i++)
            {
                await stream.WriteAsync(" "u8.ToArray(), CancellationToken.None);
                await Task.Delay(20, CancellationToken.None);
            }
        }, TestContext.Current.CancellationToken);

        // The slow request may take a moment to reach the server and hold its slot.
        var refused = await PostUntilAsync(server, HttpStatusCode.TooManyRequests);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
        using (var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)))
        {
            Assert.Equal("Overloaded", error.RootElement.GetProperty("error_type").GetString());
        }

        trickling.Cancel();
        await trickle;
        slow.Dispose();
        var accepted = await PostUntilAsync(server, HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    /// <summary>Posts a small /embed request until it gets <paramref name="wanted"/> (or gives up after about 8 s).</summary>
    private static async Task<HttpResponseMessage> PostUntilAsync(TestServer server, HttpStatusCode wanted)
    {
        HttpResponseMessage response;
        var attempt = 0;
        while ((response = await server.PostRawAsync("/embed", """{"inputs": "x"}""")).StatusCode != wanted && ++attempt < 400)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        return response;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
