namespace Sift.Server.Errors;

/// <summary>A request the server answers with an error status; the message names the bad value and the limit.</summary>
public sealed class ApiException(int status, string message, string? param = null, string? code = null) : Exception(message)
{
    /// <summary>The HTTP status.</summary>
    public int Status { get; } = status;

    /// <summary>The request field at fault, if any.</summary>
    public string? Param { get; } = param;

    /// <summary>A stable machine-readable code, if any.</summary>
    public string? Code { get; } = code;

    /// <summary>A 400 naming the field.</summary>
    public static ApiException BadRequest(string message, string? param = null, string? code = null) => new(StatusCodes.Status400BadRequest, message, param, code);
}
