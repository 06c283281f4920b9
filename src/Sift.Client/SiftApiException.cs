namespace Sift.Client;

/// <summary>A request the server refused, with its status and the server's error message.</summary>
public sealed class SiftApiException : Exception
{
    /// <summary>A refusal with the server's status, message and error code.</summary>
    public SiftApiException(int status, string message, string? code)
        : base(message)
    {
        Status = status;
        Code = code;
    }

    /// <summary>A failure with its cause (such as the open circuit breaker).</summary>
    public SiftApiException(int status, string message, string? code, Exception innerException)
        : base(message, innerException)
    {
        Status = status;
        Code = code;
    }

    /// <summary>The HTTP status.</summary>
    public int Status { get; }

    /// <summary>The server's error code (such as "input_too_long"), if any.</summary>
    public string? Code { get; }
}
