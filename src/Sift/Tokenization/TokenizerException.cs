namespace Sift.Tokenization;

/// <summary>A tokenizer file that cannot be read or is not supported; the message names the part.</summary>
public sealed class TokenizerException(string message) : Exception(message);
