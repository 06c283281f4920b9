namespace Sift.Verification;

/// <summary>What one verification check concluded.</summary>
public enum CheckOutcome
{
    /// <summary>The model behaves as the check requires.</summary>
    Pass,

    /// <summary>The model breaks the check: its conversion or files are wrong.</summary>
    Fail,

    /// <summary>The check does not apply to this model (the detail says why).</summary>
    Skipped,
}
