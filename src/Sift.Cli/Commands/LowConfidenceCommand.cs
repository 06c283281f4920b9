using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Sift.Cli.Commands;

/// <summary><c>sift low-confidence</c>: a server's flagged rankings (GET /v1/low-confidence), newest first, as JSON lines.</summary>
internal static class LowConfidenceCommand
{
    public static Command Create(CliStreams streams)
    {
        var server = new Option<string>("--server")
        {
            Description = "The Sift server's address.",
            DefaultValueFactory = _ => "http://127.0.0.1:8080",
        };
        var limit = SiftCli.PositiveIntOption("--limit", "How many of the newest flagged rankings to print (default 20, at most 1000).");
        var apiKey = new Option<string?>("--api-key")
        {
            Description = "The server's --api-key (default: SIFT_API_KEY).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SIFT_API_KEY"),
        };
        var command = new Command("low-confidence", "Print the rankings a server flagged as low-confidence (its analysis queue), newest first, one JSON object per line.")
        {
            server, limit, apiKey,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var address = result.GetValue(server)!;
            if (!Uri.TryCreate(address.EndsWith('/') ? address : address + "/", UriKind.Absolute, out var baseAddress) || baseAddress.Scheme is not ("http" or "https"))
            {
                throw new CliException($"--server must be an http:// or https:// address, got \"{address}\"");
            }
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseAddress, $"v1/low-confidence?limit={result.GetValue(limit) ?? 20}"));
            if (result.GetValue(apiKey) is { Length: > 0 } key)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                throw new CliException($"cannot reach the server at {baseAddress}: {e.Message}");
            }
            using (response)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                using var json = Parse(body, response);
                if (!response.IsSuccessStatusCode)
                {
                    var message = json.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
                        && error.TryGetProperty("message", out var text) ? text.GetString() : body;
                    throw new CliException($"the server answered {(int)response.StatusCode}: {message}");
                }
                foreach (var entry in json.RootElement.GetProperty("data").EnumerateArray())
                {
                    JsonLines.Write(streams.Output, writer => entry.WriteTo(writer));
                }
            }
            return SiftCli.Success;
        });
        return command;
    }

    private static JsonDocument Parse(string body, HttpResponseMessage response)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            throw new CliException($"the server answered {(int)response.StatusCode} with a body that is not JSON (is --server a Sift server?)");
        }
    }
}
