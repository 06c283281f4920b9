namespace Sift.Engine;

/// <summary>
/// A request the engine refuses: bad input, not a fault of the engine. The message names the bad
/// value and the limit; <see cref="Param"/> names the request field; servers answer 400.
/// </summary>
public sealed class SiftRequestException(string message, string? param = null, string code = "invalid_request") : Exception(message)
{
    /// <summary>The request field at fault, when there is one (such as "input" or "dimensions").</summary>
    public string? Param { get; } = param;

    /// <summary>A stable machine-readable reason, such as "input_too_long".</summary>
    public string Code { get; } = code;
}
