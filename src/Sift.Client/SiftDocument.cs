namespace Sift.Client;

/// <summary>A document of a Sift collection.</summary>
/// <param name="Id">1..256 characters, unique in the collection.</param>
/// <param name="Text">The text; the server chunks and embeds it.</param>
/// <param name="Metadata">Flat metadata: string, number (any .NET numeric type) or bool values.</param>
public sealed record SiftDocument(string Id, string Text, IReadOnlyDictionary<string, object>? Metadata = null)
{
    /// <summary>How many chunks the server split it into (set on documents read back).</summary>
    public int? Chunks { get; init; }
}
