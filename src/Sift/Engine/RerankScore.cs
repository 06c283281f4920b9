namespace Sift.Engine;

/// <summary>The relevance of one document: P(yes) = sigmoid(logit_yes − logit_no).</summary>
/// <param name="Index">The document's position in the request.</param>
/// <param name="Score">P(yes), in [0, 1].</param>
/// <param name="LogitYes">The "yes" logit at the last position.</param>
/// <param name="LogitNo">The "no" logit at the last position.</param>
/// <param name="TokenCount">
/// Tokens of the whole prompt the model read; for a document read in windows, the shared part
/// (template, instruction, query) once plus every window's own tokens.
/// </param>
/// <param name="Window">In chunk mode, the window whose score this is (the best); null otherwise.</param>
public sealed record RerankScore(int Index, float Score, float LogitYes, float LogitNo, int TokenCount, Abstractions.DocumentWindow? Window = null)
{
    /// <summary>
    /// logit_yes − logit_no, whose sigmoid is <see cref="Score"/>; ranking uses it because the float
    /// score saturates at 1.0 (every gap above ~17 gives 1.0f) while the gap keeps its order.
    /// </summary>
    public double Logit => (double)LogitYes - LogitNo;
}
