namespace Sift.Hub;

/// <summary>A file of a repository revision as the hub lists it.</summary>
/// <param name="Path">The path in the repository.</param>
/// <param name="Size">Its size, when listed.</param>
/// <param name="Sha256">Its SHA-256, when listed (ModelScope lists it).</param>
internal sealed record RepositoryFile(string Path, long? Size, string? Sha256 = null);

/// <summary>A revision's commit and files.</summary>
internal sealed record RepositoryListing(string Commit, IReadOnlyList<RepositoryFile> Files);

/// <summary>Where and how to fetch one file: its URL, the id its blob is stored under, and the checksum to verify.</summary>
/// <param name="Url">The download URL (supports HTTP Range).</param>
/// <param name="BlobId">The blob's name in the cache (the etag).</param>
/// <param name="Sha256">The expected SHA-256 (hex), when known.</param>
/// <param name="GitSha1">The expected git blob SHA-1 (hex), when known.</param>
/// <param name="Size">The size, when known.</param>
internal sealed record RemoteFile(Uri Url, string BlobId, string? Sha256, string? GitSha1, long? Size);

/// <summary>The API of one model hub (Hugging Face or ModelScope).</summary>
internal interface IRepositoryHub
{
    Task<RepositoryListing> ListAsync(ModelReference model, CancellationToken cancellationToken);

    Task<RemoteFile> DescribeAsync(ModelReference model, string commit, RepositoryFile file, CancellationToken cancellationToken);
}
