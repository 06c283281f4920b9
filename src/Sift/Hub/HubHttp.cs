using System.Text.Json;

namespace Sift.Hub;

/// <summary>Reading hub responses with bounds: a read timeout on every read, and a size limit on listings.</summary>
internal static class HubHttp
{
    /// <summary>Largest listing accepted: a repository of tens of thousands of files lists in a few MB.</summary>
    public const int MaxListingBytes = 64 << 20;

    /// <summary>
    /// Reads into <paramref name="buffer"/>, failing with an <see cref="IOException"/> (which the
    /// download retries) when no byte arrives for <paramref name="timeout"/>: a stalled connection
    /// must not hang a download forever.
    /// </summary>
    public static async Task<int> ReadAsync(Stream source, Memory<byte> buffer, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(timeout);
        try
        {
            return await source.ReadAsync(buffer, stall.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"no data arrived for {timeout.TotalSeconds:0.#} s (HF_HUB_DOWNLOAD_TIMEOUT)");
        }
    }

    /// <summary>Sends a request, failing with an <see cref="IOException"/> when its headers take longer than <paramref name="timeout"/>.</summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpRequestMessage request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(timeout);
        try
        {
            return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stall.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HubException($"{request.RequestUri} did not answer within {timeout.TotalSeconds:0.#} s (HF_HUB_DOWNLOAD_TIMEOUT)");
        }
    }

    /// <summary>A JSON listing, read with the read timeout and at most <see cref="MaxListingBytes"/>; anything else is a clear error.</summary>
    public static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var url = response.RequestMessage?.RequestUri;
        if (response.Content.Headers.ContentLength > MaxListingBytes)
        {
            throw new HubException($"{url} sent a listing of {response.Content.Headers.ContentLength} bytes; the limit is {MaxListingBytes}");
        }
        await using var source = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var body = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        try
        {
            while ((read = await ReadAsync(source, buffer, timeout, cancellationToken)) > 0)
            {
                if (body.Length + read > MaxListingBytes)
                {
                    throw new HubException($"{url} sent a listing of more than {MaxListingBytes} bytes");
                }
                body.Write(buffer, 0, read);
            }
            return JsonDocument.Parse(body.GetBuffer().AsMemory(0, (int)body.Length));
        }
        catch (Exception e) when (e is IOException or HttpRequestException or JsonException)
        {
            throw new HubException($"{url} did not send a readable JSON listing: {e.Message}", e);
        }
    }

    /// <summary>Runs <paramref name="read"/> over a listing, turning a missing or mistyped field into a clear error.</summary>
    public static T Parse<T>(Uri? url, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new HubException($"{url} sent a listing Sift cannot read ({e.Message})", e);
        }
    }
}
