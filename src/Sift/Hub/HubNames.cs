namespace Sift.Hub;

/// <summary>
/// The one boundary where strings from a hub (or a mirror, or a cache another tool wrote) become
/// cache paths: commit hashes, etags, revision names and repository file names are checked here,
/// so that no listing, header or index can make a path that leaves the cache.
/// </summary>
internal static class HubNames
{
    /// <summary>Longest repository path or revision accepted (git and the hubs stay far below).</summary>
    private const int MaxLength = 1024;

    /// <summary>A git commit hash: 40 hex digits.</summary>
    public static bool IsCommit(string value) => value.Length == 40 && value.All(char.IsAsciiHexDigit);

    /// <summary>
    /// A branch, tag or ref as git allows it, restricted to what the hubs use: '/'-separated
    /// components of letters, digits, '_', '-' and '.', none empty, none starting with '.', and no
    /// ".lock" ending (so "refs/pr/1" passes, "/etc/x", "a//b" and "../x" do not).
    /// </summary>
    public static bool IsRevision(string value) =>
        value.Length is > 0 and <= MaxLength && !value.EndsWith(".lock", StringComparison.Ordinal)
        && value.Split('/').All(part => part.Length > 0 && part[0] != '.' && part.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'));

    /// <summary>A blob id: the git SHA-1 (40 hex digits) or SHA-256 (64) of the file, which is what hubs send as etags.</summary>
    public static bool IsBlobId(string value) => value.Length is 40 or 64 && value.All(char.IsAsciiHexDigit);

    /// <summary>
    /// A file name inside a repository: relative, '/'-separated, no empty, "." or ".." component, no
    /// backslash and no control character.
    /// </summary>
    public static bool IsRepositoryFile(string value) =>
        value.Length is > 0 and <= MaxLength && !value.Any(c => c == '\\' || char.IsControl(c))
        && value.Split('/').All(part => part.Length > 0 && part is not ("." or ".."));

    public static string Commit(string value, string source) =>
        IsCommit(value) || IsRevision(value) ? value : throw Refused("commit", value, source);

    public static string Revision(string value, string source) => IsRevision(value) ? value : throw Refused("revision", value, source);

    public static string BlobId(string value, string source) => IsBlobId(value) ? value : throw Refused("etag", value, source);

    public static string RepositoryFile(string value, string source) => IsRepositoryFile(value) ? value : throw Refused("file name", value, source);

    private static HubException Refused(string what, string value, string source)
    {
        var shown = value.Length > 80 ? value[..80] + "..." : value;
        return new HubException($"{source} gave the {what} \"{shown}\", which is not a valid {what}; refusing to use it as a cache path");
    }
}
