namespace Sift.Hub;

/// <summary>
/// The cache layout huggingface_hub uses, so models downloaded by Python tools are reused here and
/// ours by them: <c>models--{org}--{name}/blobs/{etag}</c> holds file contents named by their etag,
/// <c>snapshots/{commit}/{file}</c> are relative symlinks to the blobs, <c>refs/{revision}</c> holds
/// the commit a branch or tag pointed at.
/// </summary>
internal sealed class HubCache(string root)
{
    public string Root { get; } = root;

    public string Repository(string id) => Path.Combine(Root, "models--" + id.Replace("/", "--", StringComparison.Ordinal));

    public string Blob(string id, string blobId) => Path.Combine(Repository(id), "blobs", blobId);

    public string Snapshot(string id, string commit) => Path.Combine(Repository(id), "snapshots", commit);

    /// <summary>The commit a revision resolved to last time, if recorded (a commit hash is its own commit).</summary>
    public string? ReadRef(string id, string revision)
    {
        if (IsCommitHash(revision))
        {
            return revision;
        }
        var path = Path.Combine(Repository(id), "refs", revision);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    public void WriteRef(string id, string revision, string commit)
    {
        if (IsCommitHash(revision))
        {
            return;
        }
        var path = Path.Combine(Repository(id), "refs", revision);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, commit);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Points snapshots/{commit}/{file} at the blob, with a relative symlink (a copy where links are not allowed).</summary>
    public void Link(string id, string commit, string file, string blobId)
    {
        var target = Path.Combine(Snapshot(id, commit), file);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (File.Exists(target))
        {
            return;
        }
        var depth = file.Count(c => c == '/') + 2;
        var relative = string.Concat(Enumerable.Repeat("../", depth)) + "blobs/" + blobId;
        try
        {
            File.CreateSymbolicLink(target, relative);
        }
        catch (IOException)
        {
            File.Copy(Blob(id, blobId), target);
        }
        catch (UnauthorizedAccessException)
        {
            File.Copy(Blob(id, blobId), target);
        }
    }

    public static bool IsCommitHash(string revision) => revision.Length == 40 && revision.All(char.IsAsciiHexDigit);
}
