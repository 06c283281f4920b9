namespace Sift.Hub;

/// <summary>How far the download of one file has come.</summary>
/// <param name="File">The file, relative to the repository.</param>
/// <param name="Bytes">Bytes on disk so far (a resumed download starts above zero).</param>
/// <param name="TotalBytes">The file's size, when the hub said.</param>
/// <param name="Done">Whether the file is complete and verified.</param>
public sealed record DownloadProgress(string File, long Bytes, long? TotalBytes, bool Done);
