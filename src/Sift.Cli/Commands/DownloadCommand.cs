using System.CommandLine;

namespace Sift.Cli.Commands;

/// <summary><c>sift download ID</c>: fetch a model into the hub cache without serving it; prints the local path.</summary>
internal static class DownloadCommand
{
    public static Command Create(CliStreams streams)
    {
        var id = new Argument<string>("id") { Description = "A hub id: org/name[@revision][:QUANT], e.g. Qwen/Qwen3-Embedding-0.6B or Qwen/Qwen3-Embedding-0.6B-GGUF:Q8_0." };
        var hub = ModelLocator.HubOption();
        var command = new Command("download", "Download a model into the Hugging Face cache (or ModelScope's) and print its local path.") { id, hub };
        command.SetAction(async (result, cancellationToken) =>
        {
            var path = await ModelLocator.ResolveAsync(result.GetRequiredValue(id), result.GetValue(hub), streams, cancellationToken);
            await streams.Output.WriteLineAsync(path);
            return SiftCli.Success;
        });
        return command;
    }
}
