namespace Sift.Checkpoints;

/// <summary>A checkpoint that is missing, truncated, corrupt or of an unsupported kind; the message names the file and the fault.</summary>
public sealed class CheckpointException(string message) : Exception(message);
