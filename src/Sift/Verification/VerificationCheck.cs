namespace Sift.Verification;

/// <summary>The result of one check on one model.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="Id">A short, stable identifier (<c>finite</c>, <c>eos</c>, <c>batch-invariance</c>, <c>official-example</c>, <c>gap-sign</c>).</param>
/// <param name="Title">What the check verifies, for people.</param>
/// <param name="Outcome">Pass, fail or skipped.</param>
/// <param name="Detail">What was measured, or why the check was skipped.</param>
public sealed record VerificationCheck(string Model, string Id, string Title, CheckOutcome Outcome, string Detail);
