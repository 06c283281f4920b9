namespace Sift.Retrieval;

/// <summary>The JSON types a metadata value may have.</summary>
public enum MetadataKind
{
    /// <summary>A JSON string.</summary>
    String,

    /// <summary>A JSON number (kept as a double).</summary>
    Number,

    /// <summary>true or false.</summary>
    Boolean,
}
