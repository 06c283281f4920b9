using System.CommandLine;
using Sift.Checkpoints;
using Sift.Engine;
using Sift.Verification;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>sift verify</c>: the model card's example and the invariants that expose a broken
/// conversion, one line per check; exit code 1 when any check fails.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create(CliStreams streams)
    {
        var model = SiftCli.ModelOption();
        var reranker = new Option<string?>("--reranker") { Description = "A reranker to check as well (directory, .gguf file or hub id)." };
        var skipOfficial = new Option<bool>("--skip-official")
        {
            Description = "Do not compare with Qwen3-Embedding-0.6B's published numbers (for fine-tunes of that model).",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of lines." };
        var quantize = SiftCli.QuantizeOption();
        var hub = ModelLocator.HubOption();
        var command = new Command("verify", "Check a model against its model card and the invariants that expose broken conversions.")
        {
            model, reranker, skipOfficial, json, quantize, hub,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var weights = SiftCli.Quantize(result.GetValue(quantize));
            var checks = new List<VerificationCheck>();
            var embedderPath = await ModelLocator.ResolveAsync(result.GetRequiredValue(model), result.GetValue(hub), streams, cancellationToken);
            try
            {
                using var embedder = Embedder.Load(new ModelOptions { Model = embedderPath, Quantize = weights });
                checks.AddRange(EmbedderVerifier.Verify(embedder, result.GetValue(skipOfficial)));
            }
            catch (NonFiniteWeightException e)
            {
                checks.Add(VerificationCheck.NonFiniteWeights(embedderPath, e));
            }
            if (result.GetValue(reranker) is { } rerankerSpec)
            {
                var rerankerPath = await ModelLocator.ResolveAsync(rerankerSpec, result.GetValue(hub), streams, cancellationToken);
                try
                {
                    using var loaded = Reranker.Load(new ModelOptions { Model = rerankerPath, Quantize = weights });
                    checks.AddRange(RerankerVerifier.Verify(loaded));
                }
                catch (NonFiniteWeightException e)
                {
                    checks.Add(VerificationCheck.NonFiniteWeights(rerankerPath, e));
                }
            }
            if (result.GetValue(json))
            {
                WriteJson(streams.Output, checks);
            }
            else
            {
                WriteLines(streams.Output, checks);
            }
            return checks.Any(c => c.Outcome == CheckOutcome.Fail) ? SiftCli.Failure : SiftCli.Success;
        });
        return command;
    }

    private static void WriteLines(TextWriter output, IReadOnlyList<VerificationCheck> checks)
    {
        var titleWidth = checks.Max(c => c.Title.Length);
        var modelWidth = checks.Max(c => c.Model.Length);
        foreach (var check in checks)
        {
            var label = check.Outcome switch { CheckOutcome.Pass => "PASS", CheckOutcome.Fail => "FAIL", _ => "SKIP" };
            output.WriteLine($"{label}  {check.Model.PadRight(modelWidth)}  {check.Title.PadRight(titleWidth)}  {check.Detail}");
        }
        output.WriteLine(Summary(checks));
    }

    private static void WriteJson(TextWriter output, IReadOnlyList<VerificationCheck> checks) =>
        JsonLines.Write(output, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("checks");
            foreach (var check in checks)
            {
                writer.WriteStartObject();
                writer.WriteString("model", check.Model);
                writer.WriteString("check", check.Id);
                writer.WriteString("title", check.Title);
                writer.WriteString("outcome", check.Outcome.ToString().ToLowerInvariant());
                writer.WriteString("detail", check.Detail);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteNumber("passed", checks.Count(c => c.Outcome == CheckOutcome.Pass));
            writer.WriteNumber("failed", checks.Count(c => c.Outcome == CheckOutcome.Fail));
            writer.WriteNumber("skipped", checks.Count(c => c.Outcome == CheckOutcome.Skipped));
            writer.WriteEndObject();
        });

    private static string Summary(IReadOnlyList<VerificationCheck> checks) =>
        $"{checks.Count(c => c.Outcome == CheckOutcome.Pass)} passed, {checks.Count(c => c.Outcome == CheckOutcome.Fail)} failed, "
        + $"{checks.Count(c => c.Outcome == CheckOutcome.Skipped)} skipped";
}
