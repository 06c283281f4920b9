namespace Sift.Verification;

/// <summary>The result of one check on one model.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="Id">A short, stable identifier (<c>finite</c>, <c>eos</c>, <c>batch-invariance</c>, <c>official-example</c>, <c>gap-sign</c>).</param>
/// <param name="Title">What the check verifies, for people.</param>
/// <param name="Outcome">Pass, fail or skipped.</param>
/// <param name="Detail">What was measured, or why the check was skipped.</param>
public sealed record VerificationCheck(string Model, string Id, string Title, CheckOutcome Outcome, string Detail)
{
    /// <summary>
    /// The finiteness check failed before the model could run: the loader found a weight row
    /// holding NaN or infinity, which makes every output it reaches NaN.
    /// </summary>
    public static VerificationCheck NonFiniteWeights(string model, Checkpoints.NonFiniteWeightException fault) =>
        new(Path.GetFileName(Path.TrimEndingDirectorySeparator(model)), "finite", "outputs are finite", CheckOutcome.Fail,
            $"{fault.Message}: NaN or infinite weights (a conversion that overflowed), so the model was not run");
}
