using System.Globalization;

namespace Sift.Retrieval;

/// <summary>
/// One value of a document's flat metadata: a string, a number or a boolean. Numbers compare by
/// value (2024 equals 2024.0), and values of different kinds never equal each other ("1" is not 1,
/// true is not 1), which is what a metadata filter tests.
/// </summary>
public readonly record struct MetadataValue
{
    private MetadataValue(MetadataKind kind, string? text, double number, bool boolean)
    {
        Kind = kind;
        Text = text;
        Number = number;
        Boolean = boolean;
    }

    /// <summary>The value's JSON type.</summary>
    public MetadataKind Kind { get; }

    /// <summary>The string, when <see cref="Kind"/> is <see cref="MetadataKind.String"/>.</summary>
    public string? Text { get; }

    /// <summary>The number, when <see cref="Kind"/> is <see cref="MetadataKind.Number"/>.</summary>
    public double Number { get; }

    /// <summary>The boolean, when <see cref="Kind"/> is <see cref="MetadataKind.Boolean"/>.</summary>
    public bool Boolean { get; }

    /// <summary>A string value.</summary>
    public static MetadataValue Of(string text) => new(MetadataKind.String, text ?? throw new ArgumentNullException(nameof(text)), 0, false);

    /// <summary>A number value; it must be finite.</summary>
    public static MetadataValue Of(double number) =>
        double.IsFinite(number) ? new(MetadataKind.Number, null, number, false) : throw new ArgumentOutOfRangeException(nameof(number), number, "must be finite");

    /// <summary>A boolean value.</summary>
    public static MetadataValue Of(bool boolean) => new(MetadataKind.Boolean, null, 0, boolean);

    /// <summary>The value as a .NET object: string, double or bool.</summary>
    public object AsObject() => Kind switch
    {
        MetadataKind.String => Text!,
        MetadataKind.Number => Number,
        _ => Boolean,
    };

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        MetadataKind.String => Text!,
        MetadataKind.Number => Number.ToString("R", CultureInfo.InvariantCulture),
        _ => Boolean ? "true" : "false",
    };
}
