using System.Text;

namespace Sift.Bench;

/// <summary>
/// Texts of one hostile shape filling a given number of UTF-8 bytes (the unit repeated, cut to fit).
/// tests/Sift.Tests compiles this file too (HostileInputRouteTests), so the bench and the test send the same shapes.
/// </summary>
internal static class HostileShapes
{
    /// <summary>Each shape's name and the unit repeated to fill it.</summary>
    public static readonly (string Shape, string Unit)[] Units =
    [
        ("letter", "a"),
        ("digits", "7"),
        ("spaces", " "),
        ("newlines", "\n"),
        ("symbols", "!"),
        ("cjk", "中"),
        ("emoji", "😀"),
        ("math-letters", "𝐀"),
        ("combining", "\u0301"),
        ("decomposed", "e\u0301"),
        ("mixed", "ab1 中😀é!\n\t"),
    ];

    public static IEnumerable<(string Shape, string Text)> All(int bytes) =>
        Units.Select(u => (u.Shape, Fill(u.Shape == "combining" ? "a" : "", u.Unit, bytes)));

    private static string Fill(string start, string unit, int bytes)
    {
        var unitBytes = Encoding.UTF8.GetByteCount(unit);
        var builder = new StringBuilder(start, bytes);
        var count = (bytes - Encoding.UTF8.GetByteCount(start)) / unitBytes;
        builder.Insert(builder.Length, unit, count);
        return builder.ToString();
    }
}
