using System.Globalization;
using Sift.Engine;

namespace Sift.Verification;

/// <summary>
/// Checks a reranker for the faults a broken conversion shows: non-finite logits, scores that
/// change with batching and prefix sharing, and (for a recognised Qwen3-Reranker, or pairs whose
/// answer is known for this model) a yes/no gap of the wrong sign, which is what swapped or
/// misplaced answer rows produce.
/// </summary>
public static class RerankerVerifier
{
    /// <summary>Runs every check.</summary>
    /// <param name="reranker">The model to check.</param>
    /// <param name="obviousPairs">
    /// Pairs whose answer is known for this model; by default the model card's, which only a
    /// trained Qwen3-Reranker (recognised by its shape) is expected to get right. Given pairs are
    /// checked whatever the model.
    /// </param>
    public static IReadOnlyList<VerificationCheck> Verify(Reranker reranker, IReadOnlyList<ObviousPair>? obviousPairs = null)
    {
        ArgumentNullException.ThrowIfNull(reranker);
        var pairs = obviousPairs ?? ObviousPair.ModelCard;
        if (pairs.Count == 0)
        {
            throw new ArgumentException("give at least one pair", nameof(obviousPairs));
        }
        var together = new RerankScore[pairs.Count];
        var alone = new RerankScore[pairs.Count];
        foreach (var group in pairs.Select((pair, index) => (pair, index)).GroupBy(p => (p.pair.Query, p.pair.Instruction)))
        {
            var members = group.ToArray();
            var options = new RerankOptions { Instruction = group.Key.Instruction };
            // All documents of a query in one call share the prompt's prefix; one document alone runs whole.
            var scores = reranker.Score(group.Key.Query, members.Select(m => m.pair.Document).ToArray(), options);
            for (var k = 0; k < members.Length; k++)
            {
                together[members[k].index] = scores[k];
                alone[members[k].index] = reranker.Score(group.Key.Query, [members[k].pair.Document], options)[0];
            }
        }
        return
        [
            Finite(reranker, together),
            BatchInvariance(reranker, pairs, together, alone),
            GapSign(reranker, pairs, together, explicitPairs: obviousPairs is not null),
        ];
    }

    private static VerificationCheck Finite(Reranker reranker, RerankScore[] scores)
    {
        const string title = "logits are finite";
        var bad = scores.FirstOrDefault(s => !float.IsFinite(s.LogitYes) || !float.IsFinite(s.LogitNo) || !float.IsFinite(s.Score));
        return bad is null
            ? new(reranker.Name, "finite", title, CheckOutcome.Pass, $"{scores.Length} pairs: yes/no logits and scores finite")
            : new(reranker.Name, "finite", title, CheckOutcome.Fail,
                $"pair {Array.IndexOf(scores, bad)}: logit_yes {bad.LogitYes}, logit_no {bad.LogitNo} (corrupt weights, or a conversion that overflowed)");
    }

    private static VerificationCheck BatchInvariance(Reranker reranker, IReadOnlyList<ObviousPair> pairs, RerankScore[] together, RerankScore[] alone)
    {
        const string title = "batched with a shared prefix = alone, bit for bit";
        static bool Same(float a, float b) => BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b);
        for (var i = 0; i < pairs.Count; i++)
        {
            if (!Same(together[i].LogitYes, alone[i].LogitYes) || !Same(together[i].LogitNo, alone[i].LogitNo) || !Same(together[i].Score, alone[i].Score))
            {
                return new(reranker.Name, "batch-invariance", title, CheckOutcome.Fail,
                    $"pair {i}: alone logits ({alone[i].LogitYes}, {alone[i].LogitNo}), with its query's other documents ({together[i].LogitYes}, {together[i].LogitNo})");
            }
        }
        return new(reranker.Name, "batch-invariance", title, CheckOutcome.Pass,
            $"{pairs.Count} pairs: each document scored alone equals its score beside its query's other documents");
    }

    private static VerificationCheck GapSign(Reranker reranker, IReadOnlyList<ObviousPair> pairs, RerankScore[] scores, bool explicitPairs)
    {
        const string title = "yes/no gap sign on obvious pairs";
        var gaps = string.Join(", ", scores.Select((s, i) => $"{(pairs[i].Relevant ? "yes" : "no")} {Gap(s)}"));
        var release = Qwen3Release.Recognise(reranker.Model.Config);
        if (!explicitPairs && release is null)
        {
            return new(reranker.Name, "gap-sign", title, CheckOutcome.Skipped,
                $"not a Qwen3-Reranker shape ({Qwen3Release.Describe(reranker.Model.Config)}): with random or unknown weights no pair is obvious, "
                + $"so the sign means nothing (expected answer and measured logit_yes - logit_no: {gaps})");
        }
        var wrong = Enumerable.Range(0, pairs.Count).Where(i => pairs[i].Relevant != (scores[i].LogitYes > scores[i].LogitNo)).ToArray();
        var subject = explicitPairs ? $"{pairs.Count} given pairs" : $"the model card's {pairs.Count} pairs ({release!.Size} shape)";
        if (wrong.Length == 0)
        {
            return new(reranker.Name, "gap-sign", title, CheckOutcome.Pass, $"{subject}: every gap has its expected sign (expected answer and gap: {gaps})");
        }
        var allWrong = wrong.Length == pairs.Count;
        return new(reranker.Name, "gap-sign", title, CheckOutcome.Fail,
            $"{subject}: {wrong.Length} gap(s) of the wrong sign (expected answer and gap: {gaps})"
            + (allWrong ? "; every sign is flipped, as when the yes and no rows are swapped" : ""));
    }

    private static string Gap(RerankScore score) => ((double)score.LogitYes - score.LogitNo).ToString("F3", CultureInfo.InvariantCulture);
}
