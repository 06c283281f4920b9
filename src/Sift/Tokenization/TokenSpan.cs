namespace Sift.Tokenization;

/// <summary>A token and the UTF-8 byte range of the text it came from (end exclusive); template tokens have an empty range.</summary>
/// <param name="Id">The token id.</param>
/// <param name="Start">First byte of the token's text in the UTF-8 input.</param>
/// <param name="End">Byte after the token's text.</param>
/// <param name="Special">Whether the token is a special added token.</param>
public readonly record struct TokenSpan(int Id, int Start, int End, bool Special);
