namespace Sift.Hub;

/// <summary>
/// The cache layout huggingface_hub uses, so models downloaded by Python tools are reused here and
/// ours by them: <c>models--{org}--{name}/blobs/{etag}</c> holds file contents named by their etag,
/// <c>snapshots/{commit}/{file}</c> are relative symlinks to the blobs, <c>refs/{revision}</c> holds
/// the commit a branch or tag pointed at. Every name is checked (<see cref="HubNames"/>) before it
/// becomes a path, and every path is checked to stay under the repository's folder.
/// </summary>
internal sealed class HubCache(string root)
{
    public string Root { get; } = root;

    public string Repository(string id) => Path.Combine(Root, "models--" + id.Replace("/", "--", StringComparison.Ordinal));

    public string Blob(string id, string blobId) => Inside(id, Path.Combine(Repository(id), "blobs", HubNames.BlobId(blobId, "the hub")));

    public string Snapshot(string id, string commit) => Inside(id, Path.Combine(Repository(id), "snapshots", HubNames.Commit(commit, "the hub")));

    /// <summary>A file of a snapshot.</summary>
    public string SnapshotFile(string id, string commit, string file) =>
        Inside(id, Path.Combine(Snapshot(id, commit), HubNames.RepositoryFile(file, "the hub")));

    /// <summary>The commit a revision resolved to last time, if recorded (a commit hash is its own commit).</summary>
    public string? ReadRef(string id, string revision)
    {
        if (IsCommitHash(revision))
        {
            return revision;
        }
        var path = RefPath(id, revision);
        // The ref file may come from another tool or an earlier, hostile download: it is a name too.
        return File.Exists(path) ? HubNames.Commit(File.ReadAllText(path).Trim(), path) : null;
    }

    public void WriteRef(string id, string revision, string commit)
    {
        if (IsCommitHash(revision))
        {
            return;
        }
        HubNames.Commit(commit, "the hub");
        var path = RefPath(id, revision);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, commit);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Whether a snapshot file is there and readable: a symlink whose blob is gone counts as missing.</summary>
    public static bool Exists(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return false;
        }
        return info.LinkTarget is null || info.ResolveLinkTarget(returnFinalTarget: true) is { Exists: true };
    }

    /// <summary>Points snapshots/{commit}/{file} at the blob, with a relative symlink (a copy where links are not allowed).</summary>
    public void Link(string id, string commit, string file, string blobId)
    {
        var target = SnapshotFile(id, commit, file);
        var blob = Blob(id, blobId);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (Exists(target))
        {
            return;
        }
        if (new FileInfo(target).LinkTarget is not null)
        {
            File.Delete(target);
        }
        var depth = file.Count(c => c == '/') + 2;
        var relative = string.Concat(Enumerable.Repeat("../", depth)) + "blobs/" + blobId;
        try
        {
            File.CreateSymbolicLink(target, relative);
        }
        catch (IOException)
        {
            File.Copy(blob, target);
        }
        catch (UnauthorizedAccessException)
        {
            File.Copy(blob, target);
        }
    }

    public static bool IsCommitHash(string revision) => HubNames.IsCommit(revision);

    private string RefPath(string id, string revision) => Inside(id, Path.Combine(Repository(id), "refs", HubNames.Revision(revision, "the revision")));

    /// <summary>Defence in depth behind the name checks: the path must stay inside the repository's folder.</summary>
    private string Inside(string id, string path)
    {
        var repository = Path.GetFullPath(Repository(id)) + Path.DirectorySeparatorChar;
        var full = Path.GetFullPath(path);
        return full.StartsWith(repository, StringComparison.Ordinal)
            ? path
            : throw new HubException($"the cache path {full} would leave {repository}; refusing to write it");
    }
}
