using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Polly;
using Polly.CircuitBreaker;

namespace Sift.Client;

/// <summary>
/// The HTTP plumbing both clients share: one client, the API key, JSON in and out, retries and the
/// circuit breaker (<see cref="SiftResilienceOptions"/>), errors as <see cref="SiftApiException"/>.
/// </summary>
internal sealed class SiftHttp : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsClient;
    private readonly SiftClientOptions _options;
    private readonly ResiliencePipeline<HttpResponseMessage> _resilience;

    public SiftHttp(SiftClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _ownsClient = options.HttpClient is null;
        _http = options.HttpClient ?? new HttpClient();
        _resilience = SiftResiliencePipeline.Build(options.Resilience);
    }

    public Uri Endpoint => _options.Endpoint;

    public async Task<JsonDocument> PostAsync(string path, Action<Utf8JsonWriter> writeBody, CancellationToken cancellationToken) =>
        (await SendAsync(HttpMethod.Post, path, writeBody, notFoundIsNull: false, cancellationToken))!;

    /// <summary>Sends a request; with <paramref name="notFoundIsNull"/>, a 404 answers null instead of throwing.</summary>
    public async Task<JsonDocument?> SendAsync(HttpMethod method, string path, Action<Utf8JsonWriter>? writeBody, bool notFoundIsNull,
        CancellationToken cancellationToken)
    {
        byte[]? bytes = null;
        if (writeBody is not null)
        {
            using var body = new MemoryStream();
            using (var writer = new Utf8JsonWriter(body))
            {
                writeBody(writer);
            }
            bytes = body.ToArray();
        }
        HttpResponseMessage response;
        try
        {
            // A request message can be sent once: each attempt gets its own, with the same body.
            response = await _resilience.ExecuteAsync(async token =>
            {
                using var request = new HttpRequestMessage(method, Resolve(path));
                if (bytes is not null)
                {
                    request.Content = new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
                }
                if (_options.ApiKey is { } key)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                }
                return await _http.SendAsync(request, token);
            }, cancellationToken);
        }
        catch (BrokenCircuitException e)
        {
            throw SiftResiliencePipeline.CircuitOpen(e);
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (notFoundIsNull && response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                return null;
            }
            if (!response.IsSuccessStatusCode)
            {
                throw Failure((int)response.StatusCode, text);
            }
            return JsonDocument.Parse(text);
        }
    }

    /// <summary>
    /// The route under the endpoint, keeping the endpoint's own path: a server behind a proxy at
    /// http://host/sift gets http://host/sift/v1/embeddings, not http://host/v1/embeddings.
    /// </summary>
    private Uri Resolve(string route)
    {
        var endpoint = _options.Endpoint.AbsoluteUri;
        return new Uri(new Uri(endpoint.EndsWith('/') ? endpoint : endpoint + "/"), route.TrimStart('/'));
    }

    public void Dispose()
    {
        if (_ownsClient)
        {
            _http.Dispose();
        }
    }

    private static SiftApiException Failure(int status, string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var error = json.RootElement.GetProperty("error");
            return error.ValueKind == JsonValueKind.Object
                ? new SiftApiException(status, error.GetProperty("message").GetString() ?? body,
                    error.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String ? code.GetString() : null)
                : new SiftApiException(status, error.GetString() ?? body, null);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return new SiftApiException(status, $"HTTP {status}: {(body.Length > 200 ? body[..200] : body)}", null);
        }
    }
}
