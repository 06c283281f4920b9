using Sift.Abstractions;
namespace Sift.Engine.LongDocuments;

/// <summary>The names of <see cref="LongDocumentStrategy"/> as requests and flags write them.</summary>
public static class LongDocumentStrategies
{
    /// <summary>The accepted names, in the order the docs list them.</summary>
    public const string Names = "\"truncate\", \"chunk\" or \"error\"";

    /// <summary>Parses "truncate", "chunk" or "error".</summary>
    /// <exception cref="SiftRequestException">Any other value, named with the accepted ones.</exception>
    public static LongDocumentStrategy Parse(string value, string field) => value switch
    {
        "truncate" => LongDocumentStrategy.Truncate,
        "chunk" => LongDocumentStrategy.Chunk,
        "error" => LongDocumentStrategy.Error,
        _ => throw new SiftRequestException($"'{field}' must be {Names}, got \"{value}\"", field),
    };

    /// <summary>The name a request or flag uses.</summary>
    public static string Name(LongDocumentStrategy strategy) => strategy switch
    {
        LongDocumentStrategy.Truncate => "truncate",
        LongDocumentStrategy.Chunk => "chunk",
        LongDocumentStrategy.Error => "error",
        _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, null),
    };
}
