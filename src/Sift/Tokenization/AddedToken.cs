namespace Sift.Tokenization;

/// <summary>A token added on top of the BPE vocabulary (special tokens such as <c>&lt;|endoftext|&gt;</c>).</summary>
/// <param name="Id">The token id.</param>
/// <param name="Content">The exact text that stands for the token.</param>
/// <param name="Special">Whether decoding may skip it as a control token.</param>
/// <param name="Normalized">Whether it is matched in the normalized text rather than the raw text.</param>
/// <param name="LeftStrip">Whether whitespace on its left is absorbed into the match.</param>
/// <param name="RightStrip">Whether whitespace on its right is absorbed into the match.</param>
/// <param name="SingleWord">Whether it only matches when not inside a word.</param>
public sealed record AddedToken(int Id, string Content, bool Special, bool Normalized, bool LeftStrip, bool RightStrip, bool SingleWord);
