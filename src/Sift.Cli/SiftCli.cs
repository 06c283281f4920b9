using System.CommandLine;
using System.Globalization;
using System.CommandLine.Parsing;
using Sift.Checkpoints;
using Sift.Cli.Commands;
using Sift.Engine;
using Sift.Tokenization;

namespace Sift.Cli;

/// <summary>The <c>sift</c> command line: builds the commands and turns every failure into one line on stderr.</summary>
internal static class SiftCli
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;

    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output, TextWriter error)
    {
        var streams = new CliStreams(input, output, error);
        var root = new RootCommand("Sift: Qwen3 text embedding and reranking on the CPU.")
        {
            EmbedCommand.Create(streams),
            RerankCommand.Create(streams),
            TokenizeCommand.Create(streams),
            InfoCommand.Create(streams),
            ServeCommand.Create(streams),
            ConvertCommand.Create(streams),
            DownloadCommand.Create(streams),
            VerifyCommand.Create(streams),
            EvalCommand.Create(streams),
            ExportTrainingCommand.Create(streams),
            LowConfidenceCommand.Create(streams),
            IndexCommand.Create(streams),
            SearchCommand.Create(streams),
            ProbeCommand.Create(streams),
        };
        try
        {
            var parsed = root.Parse(args);
            if (parsed.Errors.Count > 0)
            {
                foreach (var parseError in parsed.Errors)
                {
                    await error.WriteLineAsync($"sift: error: {parseError.Message}");
                }
                await error.WriteLineAsync($"Run 'sift {string.Join(' ', CommandPath(parsed))} --help' for usage.");
                return UsageError;
            }
            // The server's host handles SIGTERM itself (drain, then exit 0); the parser must not race it.
            var configuration = new InvocationConfiguration
            {
                Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null,
            };
            var exitCode = await parsed.InvokeAsync(configuration);
            await output.FlushAsync();
            return exitCode;
        }
        catch (Exception e) when (IsUserFacing(e))
        {
            await output.FlushAsync();
            await error.WriteLineAsync($"sift: error: {e.Message}");
            return Failure;
        }
        catch (Exception e)
        {
            // Never a stack trace: name the failure and where to look.
            await output.FlushAsync();
            await error.WriteLineAsync($"sift: internal error ({e.GetType().Name}): {e.Message}");
            return Failure;
        }
    }

    private static IEnumerable<string> CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (var result = parsed.CommandResult; result.Parent is CommandResult parent; result = parent)
        {
            names.Insert(0, result.Command.Name);
        }
        return names;
    }

    private static bool IsUserFacing(Exception e) =>
        e is CliException or SiftRequestException or CheckpointException or NonFiniteWeightException or NonFiniteOutputException or TokenizerException
            or IOException or UnauthorizedAccessException
            or ArgumentOutOfRangeException or Hub.HubException or Server.Hosting.MemoryBudgetException or Retrieval.RetrievalException or Evaluation.BeirFormatException;

    /// <summary>The --model option every command shares.</summary>
    public static Option<string> ModelOption() => new("--model", "-m")
    {
        Description = "Model directory (config.json, tokenizer.json, *.safetensors), .gguf file, or hub id (org/name[@revision][:QUANT]).",
        Required = true,
    };

    /// <summary>The --quantize option of the model commands.</summary>
    public static Option<string?> QuantizeOption()
    {
        var option = new Option<string?>("--quantize")
        {
            Description = "Keep layer weights as int8 instead of their stored format: \"int8\" in blocks of 128 inputs (32 on rows under 1024 "
                + "and for Q8_0 files) with 7-bit activations (fastest), \"int8-a16\" in Q8_0 blocks of 32 with 15-bit activations (about half the int8 error, slower).",
        };
        option.AcceptOnlyFromAmong("int8", "int8-a16");
        return option;
    }

    /// <summary>The weight format a --quantize value asks for (values from SIFT_QUANTIZE or appsettings.json are checked here too).</summary>
    public static Kernels.WeightFormat? Quantize(string? value) => value switch
    {
        null => null,
        "int8" => Kernels.WeightFormat.Int8,
        "int8-a16" => Kernels.WeightFormat.Int8A16,
        _ => throw new CliException($"--quantize must be \"int8\" or \"int8-a16\", got \"{value}\""),
    };

    /// <summary>A positive integer option that rejects 0 and negatives at parse time with a clear message.</summary>
    public static Option<int?> PositiveIntOption(string name, string description)
    {
        var option = new Option<int?>(name) { Description = description };
        option.Validators.Add(result =>
        {
            if (GivenInt(result, name, "a positive integer") is <= 0 and var value)
            {
                result.AddError($"{name} must be a positive integer, got {value}");
            }
        });
        return option;
    }

    /// <summary>
    /// In an option's validator: the integer it was given, or null when it was not given or is not an
    /// integer (then with the error added). Reading the value of a token that does not convert throws,
    /// which would surface as an internal error instead of a usage error.
    /// </summary>
    public static int? GivenInt(OptionResult result, string name, string expected)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Tokens.Count == 0)
        {
            return null;
        }
        var text = result.Tokens[^1].Value;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }
        result.AddError($"{name} must be {expected}, got \"{text}\"");
        return null;
    }
}
