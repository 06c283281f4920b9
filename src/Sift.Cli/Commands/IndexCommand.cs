using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Sift.Engine;
using Sift.Retrieval;
using Sift.Retrieval.Stores;
using Spectre.Console;

namespace Sift.Cli.Commands;

/// <summary>
/// <c>sift index</c>: JSON lines of documents ({"id", "text", "metadata"?}) from stdin into a collection,
/// through the same indexing path as the server. Documents are committed in batches (each batch one
/// transaction, acknowledged by one JSON line on stdout once durable); re-running skips documents
/// whose stored text is unchanged, so an interrupted import resumes where it stopped.
/// </summary>
internal static class IndexCommand
{
    /// <summary>Characters per batch beside the document count: about four full forward passes of 8192 tokens.</summary>
    private const int BatchCharacters = 4 * 8192 * 4;

    /// <summary>How often plain progress lines are printed when stderr is not a terminal.</summary>
    private static readonly TimeSpan PlainProgressInterval = TimeSpan.FromSeconds(2);

    public static Command Create(CliStreams streams)
    {
        var data = RetrievalOptions.Data();
        var collection = RetrievalOptions.Collection();
        var model = SiftCli.ModelOption();
        var chunkTokens = SiftCli.PositiveIntOption("--chunk-tokens", $"Tokens per chunk of a new collection (default {CollectionSettings.DefaultChunkTokens}).");
        var chunkOverlap = new Option<int?>("--chunk-overlap") { Description = $"Tokens consecutive chunks share, for a new collection (default {CollectionSettings.DefaultChunkOverlap})." };
        var dimensions = SiftCli.PositiveIntOption("--dimensions", "Matryoshka size of a new collection's vectors (default: the model's width).");
        var batchSize = SiftCli.PositiveIntOption("--batch-size", "Documents per committed batch (default 256).");
        var quantize = SiftCli.QuantizeOption();
        var hub = ModelLocator.HubOption();
        var command = new Command("index", "Index JSON lines of documents ({\"id\", \"text\", \"metadata\"?}) from stdin into a collection (created when missing).")
        {
            data, collection, model, chunkTokens, chunkOverlap, dimensions, batchSize, quantize, hub,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var path = await ModelLocator.ResolveAsync(result.GetRequiredValue(model), result.GetValue(hub), streams, cancellationToken);
            using var embedder = Embedder.Load(new ModelOptions { Model = path, Quantize = SiftCli.Quantize(result.GetValue(quantize)) });
            var textEmbedder = new EngineTextEmbedder(embedder);
            await using var store = await RetrievalStores.OpenAsync(result.GetRequiredValue(data), null, new TextWriterLogger(streams.Error), cancellationToken);
            var name = result.GetRequiredValue(collection);
            var info = await store.FindCollectionAsync(name, cancellationToken)
                ?? await store.CreateCollectionAsync(new CollectionSettings
                {
                    Name = name,
                    Model = embedder.Name,
                    Dimensions = result.GetValue(dimensions) ?? embedder.Dimensions,
                    ChunkTokens = result.GetValue(chunkTokens) ?? CollectionSettings.DefaultChunkTokens,
                    ChunkOverlap = result.GetValue(chunkOverlap) ?? CollectionSettings.DefaultChunkOverlap,
                }, cancellationToken);
            embedder.ValidateDimensions(info.Settings.Dimensions);
            var indexer = new DocumentIndexer(store, textEmbedder);
            var progress = new IndexProgress(streams, TotalInputBytes(streams.Input));
            var documents = 0;
            await progress.RunAsync(async report =>
            {
                foreach (var batch in Batches(JsonLines.ReadDocuments(streams.Input), result.GetValue(batchSize) ?? 256))
                {
                    info = await store.FindCollectionAsync(name, cancellationToken) ?? throw RetrievalException.CollectionNotFound(name);
                    var done = await indexer.UpsertAsync(info, batch.Documents, skipUnchanged: true, cancellationToken);
                    documents += batch.Documents.Count;
                    JsonLines.Write(streams.Output, json =>
                    {
                        json.WriteStartObject();
                        json.WriteNumber("upserted", done.Upserted);
                        json.WriteNumber("unchanged", done.Unchanged);
                        json.WriteNumber("chunks", done.Chunks);
                        json.WriteNumber("tokens", done.Tokens);
                        json.WriteString("last_id", batch.Documents[^1].Id);
                        json.WriteNumber("write_version", done.WriteVersion);
                        json.WriteEndObject();
                    });
                    await streams.Output.FlushAsync(cancellationToken);
                    report(done, batch.Bytes);
                }
            });
            if (documents == 0)
            {
                throw new CliException("no documents on stdin; give one JSON line {\"id\", \"text\", \"metadata\"?} per document");
            }
            return SiftCli.Success;
        });
        return command;
    }

    /// <summary>Groups documents into batches by count and characters; a repeated id starts a new batch (the later line wins).</summary>
    private static IEnumerable<(List<DocumentInput> Documents, long Bytes)> Batches(IEnumerable<(DocumentInput Document, long Bytes)> documents, int batchSize)
    {
        var batch = new List<DocumentInput>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        long characters = 0, bytes = 0;
        foreach (var (document, size) in documents)
        {
            if (batch.Count > 0 && (batch.Count >= batchSize || characters >= BatchCharacters || ids.Contains(document.Id)))
            {
                yield return (batch, bytes);
                batch = [];
                ids.Clear();
                characters = bytes = 0;
            }
            batch.Add(document);
            ids.Add(document.Id);
            characters += document.Text.Length;
            bytes += size;
        }
        if (batch.Count > 0)
        {
            yield return (batch, bytes);
        }
    }

    /// <summary>The size of stdin when it is a regular file (for the ETA), else null.</summary>
    private static long? TotalInputBytes(TextReader input)
    {
        if (!ReferenceEquals(input, Console.In) || !Console.IsInputRedirected)
        {
            return null;
        }
        try
        {
            var file = new FileInfo("/proc/self/fd/0");
            return file.Exists && file.Length > 0 ? file.Length : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Progress on stderr: a bar with documents/s and ETA on a terminal, a plain line every two seconds otherwise, and a summary.</summary>
    private sealed class IndexProgress(CliStreams streams, long? totalBytes)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _documents;
        private long _unchanged;
        private long _chunks;
        private long _tokens;
        private long _bytes;
        private TimeSpan _lastLine;

        public async Task RunAsync(Func<Action<IndexReport, long>, Task> work)
        {
            if (ReferenceEquals(streams.Error, Console.Error) && !Console.IsErrorRedirected)
            {
                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
                await console.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .StartAsync(async context =>
                    {
                        var task = context.AddTask("indexing", maxValue: totalBytes ?? 1);
                        task.IsIndeterminate = totalBytes is null;
                        await work((report, bytes) =>
                        {
                            Add(report, bytes);
                            task.Value = _bytes;
                            task.Description = Markup.Escape(Rate());
                        });
                        task.Value = task.MaxValue;
                    });
            }
            else
            {
                await work((report, bytes) =>
                {
                    Add(report, bytes);
                    if (_clock.Elapsed - _lastLine >= PlainProgressInterval)
                    {
                        _lastLine = _clock.Elapsed;
                        streams.Error.WriteLine($"sift: {Rate()}{Eta()}");
                    }
                });
            }
            await streams.Error.WriteLineAsync(
                $"sift: indexed {_documents} documents ({_chunks} chunks, {_tokens} tokens), {_unchanged} unchanged, in {_clock.Elapsed.TotalSeconds:F1} s ({Rate()})");
        }

        private void Add(IndexReport report, long bytes)
        {
            _documents += report.Upserted;
            _unchanged += report.Unchanged;
            _chunks += report.Chunks;
            _tokens += report.Tokens;
            _bytes += bytes;
        }

        private string Rate()
        {
            var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
            return $"{_documents + _unchanged} documents, {(_documents + _unchanged) / seconds:F1} documents/s, {_tokens / seconds:F0} tokens/s";
        }

        private string Eta()
        {
            if (totalBytes is not { } total || _bytes == 0)
            {
                return "";
            }
            var remaining = TimeSpan.FromSeconds((total - _bytes) * _clock.Elapsed.TotalSeconds / _bytes);
            return $", ETA {remaining:hh\\:mm\\:ss}";
        }
    }
}
