namespace Sift.Tokenization;

/// <summary>Splits normalized text into the pieces that BPE encodes one at a time.</summary>
internal abstract class PreTokenizer
{
    /// <summary>Appends the pieces of <paramref name="text"/>, in order and covering all of it.</summary>
    public abstract void Split(ReadOnlySpan<char> text, List<Range> pieces);
}
