namespace Sift.Client;

/// <summary>A request the server refused, with its status and the server's error message.</summary>
public sealed class SiftApiException(int status, string message, string? code) : Exception(message)
{
    /// <summary>The HTTP status.</summary>
    public int Status { get; } = status;

    /// <summary>The server's error code (such as "input_too_long"), if any.</summary>
    public string? Code { get; } = code;
}
