using System.Text.Json;

namespace Sift.Hub;

/// <summary>
/// The ModelScope API for the same ids: <c>/api/v1/models/{id}/repo/files?Revision=..&amp;Recursive=true</c>
/// lists files with their SHA-256; <c>/api/v1/models/{id}/repo?Revision=..&amp;FilePath=..</c> serves one.
/// Revisions are branch or tag names, which also name the snapshot.
/// </summary>
internal sealed class ModelScopeHub(HttpClient client, HubOptions options) : IRepositoryHub
{
    public async Task<RepositoryListing> ListAsync(ModelReference model, CancellationToken cancellationToken)
    {
        var url = new Uri($"{options.Endpoint}/api/v1/models/{model.Id}/repo/files?Revision={Uri.EscapeDataString(model.Revision)}&Recursive=true");
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using var response = await HubHttp.SendAsync(client, request, options.ReadTimeout, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw HttpFailures.Describe(response, model, null, options);
        }
        using var json = await HubHttp.ReadJsonAsync(response, options.ReadTimeout, cancellationToken);
        return HubHttp.Parse(url, () =>
        {
            if (!json.RootElement.TryGetProperty("Data", out var data) || !data.TryGetProperty("Files", out var files))
            {
                throw new HubException($"{url} did not list files (no Data.Files)");
            }
            var listed = files.EnumerateArray()
                .Where(f => !f.TryGetProperty("Type", out var type) || type.GetString() != "tree")
                .Select(f => new RepositoryFile(HubNames.RepositoryFile(f.GetProperty("Path").GetString()!, url.ToString()),
                    f.TryGetProperty("Size", out var size) && size.ValueKind == JsonValueKind.Number ? size.GetInt64() : null,
                    f.TryGetProperty("Sha256", out var sha) && sha.ValueKind == JsonValueKind.String ? sha.GetString() : null))
                .ToList();
            return new RepositoryListing(model.Revision, listed);
        });
    }

    public Task<RemoteFile> DescribeAsync(ModelReference model, string commit, RepositoryFile file, CancellationToken cancellationToken)
    {
        var url = new Uri($"{options.Endpoint}/api/v1/models/{model.Id}/repo?Revision={Uri.EscapeDataString(commit)}&FilePath={Uri.EscapeDataString(file.Path)}");
        var blob = HubNames.BlobId(file.Sha256 ?? throw new HubException($"ModelScope listed '{file.Path}' of '{model.Id}' without a Sha256; cannot verify it"),
            options.Endpoint);
        return Task.FromResult(new RemoteFile(url, blob, blob, null, file.Size));
    }
}
