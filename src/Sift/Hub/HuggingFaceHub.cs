using System.Net.Http.Headers;
using System.Text.Json;

namespace Sift.Hub;

/// <summary>
/// The Hugging Face Hub API: <c>/api/models/{id}/revision/{rev}</c> lists a revision's files and
/// commit; <c>/{id}/resolve/{commit}/{file}</c> serves a file, whose HEAD (redirects not followed)
/// carries the etag that names its blob (X-Linked-Etag: the SHA-256 of large LFS files).
/// </summary>
internal sealed class HuggingFaceHub(HttpClient noRedirects, HubOptions options) : IRepositoryHub
{
    public async Task<RepositoryListing> ListAsync(ModelReference model, CancellationToken cancellationToken)
    {
        var url = new Uri($"{options.Endpoint}/api/models/{model.Id}/revision/{Uri.EscapeDataString(model.Revision)}");
        using var response = await SendAsync(HttpMethod.Get, url, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw HttpFailures.Describe(response, model, null, options);
        }
        using var json = await HubHttp.ReadJsonAsync(response, options.ReadTimeout, cancellationToken);
        return HubHttp.Parse(url, () =>
        {
            var root = json.RootElement;
            var commit = root.TryGetProperty("sha", out var sha) ? sha.GetString() : null;
            if (commit is null || !root.TryGetProperty("siblings", out var siblings))
            {
                throw new HubException($"{url} did not describe a model revision (no sha or siblings)");
            }
            if (!HubNames.IsCommit(commit))
            {
                throw new HubException($"{url} gave the commit \"{commit}\", which is not a 40-digit hex hash");
            }
            var files = siblings.EnumerateArray().Select(s => new RepositoryFile(
                HubNames.RepositoryFile(s.GetProperty("rfilename").GetString()!, url.ToString()),
                s.TryGetProperty("size", out var size) && size.ValueKind == JsonValueKind.Number ? size.GetInt64() : null)).ToList();
            return new RepositoryListing(commit, files);
        });
    }

    public async Task<RemoteFile> DescribeAsync(ModelReference model, string commit, RepositoryFile file, CancellationToken cancellationToken)
    {
        var url = new Uri($"{options.Endpoint}/{model.Id}/resolve/{commit}/{file.Path}");
        using var response = await SendAsync(HttpMethod.Head, url, cancellationToken);
        var redirected = (int)response.StatusCode is >= 300 and < 400;
        if (!response.IsSuccessStatusCode && !redirected)
        {
            throw HttpFailures.Describe(response, model, file.Path, options);
        }
        var etag = Header(response, "X-Linked-Etag") ?? response.Headers.ETag?.Tag ?? Header(response, "ETag")
            ?? throw new HubException($"{url} sent no ETag; cannot name the file in the cache");
        // The etag names the blob in the cache and is the checksum the download is verified against:
        // only a git SHA-1 or a SHA-256 is both a safe file name and a checksum.
        etag = HubNames.BlobId(etag.Replace("W/", "", StringComparison.Ordinal).Trim('"'), url.ToString());
        var size = long.TryParse(Header(response, "X-Linked-Size"), out var linked) ? linked : response.Content.Headers.ContentLength ?? file.Size;
        var location = redirected && response.Headers.Location is { } target ? new Uri(url, target) : url;
        return new RemoteFile(location, etag, etag.Length == 64 ? etag : null, etag.Length == 40 ? etag : null, size);
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(method, url);
        if (options.Token is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        request.Headers.UserAgent.ParseAdd("sift/1.0");
        return HubHttp.SendAsync(noRedirects, request, options.ReadTimeout, cancellationToken);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? values.FirstOrDefault() : null;
}
