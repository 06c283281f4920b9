using System.Text.RegularExpressions;

namespace Sift.Hub;

/// <summary>A hub model id as users write it: <c>org/name</c>, optionally <c>@revision</c> and <c>:QUANT</c> (GGUF repos).</summary>
public sealed partial record ModelReference(string Id, string Revision, string? Quantization)
{
    /// <summary>The revision when none is given.</summary>
    public const string DefaultRevision = "main";

    /// <summary>
    /// Parses <c>org/name[@revision][:QUANT]</c>; null when the text is not of that form. A revision
    /// is a branch, tag or commit as git writes them ("main", "v1.0", "refs/pr/1"): never a path.
    /// </summary>
    public static ModelReference? TryParse(string text, string defaultRevision = DefaultRevision)
    {
        var match = Pattern().Match(text);
        if (!match.Success || text.Contains("..", StringComparison.Ordinal)
            || match.Groups["revision"].Success && !HubNames.IsRevision(match.Groups["revision"].Value))
        {
            return null;
        }
        return new ModelReference(match.Groups["id"].Value,
            match.Groups["revision"].Success ? match.Groups["revision"].Value : defaultRevision,
            match.Groups["quant"].Success ? match.Groups["quant"].Value : null);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Id}@{Revision}{(Quantization is null ? "" : ":" + Quantization)}";

    [GeneratedRegex(@"^(?<id>[A-Za-z0-9][\w.\-]*/[\w.\-]+)(@(?<revision>[\w.\-/]+?))?(:(?<quant>[\w.\-]+))?$")]
    private static partial Regex Pattern();
}
