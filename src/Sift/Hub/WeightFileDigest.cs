namespace Sift.Hub;

/// <summary>One weight file: its name, its size, and its SHA-256 in lowercase hex (null when not computed).</summary>
public sealed record WeightFileDigest(string Name, long Bytes, string? Sha256);
