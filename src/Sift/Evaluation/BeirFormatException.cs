namespace Sift.Evaluation;

/// <summary>A BEIR-format folder that cannot be read: the message names the file, the line and what is wrong.</summary>
public sealed class BeirFormatException(string message) : Exception(message);
