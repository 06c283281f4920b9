using System.Text;

namespace Sift.Tokenization;

/// <summary>The tokenizer.json normalizer: Unicode normalization forms and lowercasing, in sequence.</summary>
internal sealed class TextNormalizer
{
    /// <summary>Below U+0300 every character is its own NFC/NFD form and combines with nothing.</summary>
    private const char FirstCombiningCharacter = '\u0300';

    private readonly NormalizationForm[] _forms;
    private readonly bool _lowercase;

    public TextNormalizer(IEnumerable<NormalizationForm> forms, bool lowercase)
    {
        _forms = forms.ToArray();
        _lowercase = lowercase;
    }

    public static TextNormalizer None { get; } = new([], lowercase: false);

    public bool IsIdentity => _forms.Length == 0 && !_lowercase;

    public ReadOnlySpan<char> Apply(ReadOnlySpan<char> text)
    {
        if (IsIdentity)
        {
            return text;
        }
        string? result = null;
        foreach (var form in _forms)
        {
            if (form is NormalizationForm.FormC or NormalizationForm.FormD
                && !text.ContainsAnyInRange(FirstCombiningCharacter, char.MaxValue))
            {
                continue;
            }
            result = (result ?? text.ToString()).Normalize(form);
        }
        if (_lowercase)
        {
            result = (result ?? text.ToString()).ToLowerInvariant();
        }
        return result is null ? text : result.AsSpan();
    }
}
