namespace Sift.Tests.Evaluation;

/// <summary>The small BEIR-format set kept beside these tests (English, Chinese, Japanese and code; graded judgments).</summary>
internal static class EvaluationData
{
    public static string SyntheticBeir => Path.Combine(Fixtures.Repository, "tests", "Sift.Tests", "Evaluation", "Data", "synthetic-beir");
}
