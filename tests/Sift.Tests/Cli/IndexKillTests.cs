using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Sift.Retrieval;
using Sift.Retrieval.Stores.Embedded;
using Sift.Tokenization;

namespace Sift.Tests.Cli;

/// <summary>A real <c>sift index</c> process killed with SIGKILL in the middle of a bulk import.</summary>
public sealed class IndexKillTests
{
    private const int Documents = 800;
    private const int BatchSize = 10;

    [Fact]
    public async Task KillNine_MidImport_LosesNoAcknowledgedDocumentAndLeavesNoHalfWrittenOne()
    {
        var cancel = TestContext.Current.CancellationToken;
        var directory = Directory.CreateTempSubdirectory("sift-kill-").FullName;
        try
        {
            var data = Path.Combine(directory, "data");
            var input = Path.Combine(directory, "docs.jsonl");
            var random = new Random(20261129);
            var words = new[] { "river", "mountain", "城市", "capital", "gravity", "light", "东京", "sugar", "force", "ocean" };
            var texts = Enumerable.Range(0, Documents)
                .ToDictionary(i => $"doc-{i:D5}", i => string.Join(' ', Enumerable.Range(0, 5 + random.Next(30)).Select(_ => words[random.Next(words.Length)])));
            await File.WriteAllLinesAsync(input, texts.Select(t => JsonSerializer.Serialize(new { id = t.Key, text = t.Value, metadata = new { n = t.Key.Length } })), cancel);

            var cli = Path.Combine(AppContext.BaseDirectory, "Sift.Cli.dll");
            var start = new ProcessStartInfo("/bin/sh", ["-c",
                $"exec dotnet exec '{cli}' index --data '{data}' --collection bulk --model '{Fixtures.EmbeddingModel}' --batch-size {BatchSize} --chunk-tokens 16 --chunk-overlap 4 < '{input}'"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            var acknowledged = new List<string>();
            while (acknowledged.Count < 3 && await process.StandardOutput.ReadLineAsync(cancel) is { } line)
            {
                acknowledged.Add(JsonDocument.Parse(line).RootElement.GetProperty("last_id").GetString()!);
            }
            Assert.False(process.HasExited, "the import ended before it could be killed");
            process.Kill();
            await process.WaitForExitAsync(cancel);
            // Acknowledgements written before the kill but not yet read are acknowledged too.
            while (await process.StandardOutput.ReadLineAsync(cancel) is { } line)
            {
                acknowledged.Add(JsonDocument.Parse(line).RootElement.GetProperty("last_id").GetString()!);
            }

            var tokenizer = Tokenizer.Load(Fixtures.EmbeddingModel);
            await using (var store = EmbeddedStore.Open(new EmbeddedStoreOptions { Directory = data }, NullLogger.Instance))
            {
                var collection = (await store.FindCollectionAsync("bulk", cancel))!;
                var ids = await store.ListDocumentIdsAsync("bulk", null, Documents, cancel);
                Assert.True(ids.Count < Documents, "the kill came after the last document");
                Assert.Equal(0, ids.Count % BatchSize);
                Assert.Equal(texts.Keys.Order(StringComparer.Ordinal).Take(ids.Count), ids);
                Assert.All(acknowledged, id => Assert.Contains(id, ids));
                var chunks = 0L;
                foreach (var id in ids)
                {
                    var document = (await store.GetDocumentAsync("bulk", id, cancel))!;
                    Assert.Equal(texts[id], document.Text);
                    Assert.Equal(Chunker.Split(tokenizer, texts[id], 16, 4).Count, document.ChunkCount);
                    chunks += document.ChunkCount;
                }
                Assert.Equal(ids.Count, collection.DocumentCount);
                Assert.Equal(chunks, collection.ChunkCount);
            }

            // Re-running resumes: what was written is skipped as unchanged, the rest is indexed.
            using var stdin = new StreamReader(input);
            using var output = new StringWriter();
            using var error = new StringWriter();
            var exitCode = await Sift.Cli.SiftCli.RunAsync(["index", "--data", data, "--collection", "bulk", "--model", Fixtures.EmbeddingModel, "--batch-size", "500"],
                stdin, output, error);
            Assert.True(exitCode == 0, error.ToString());
            Assert.Contains($"indexed", error.ToString());
            await using var resumed = EmbeddedStore.Open(new EmbeddedStoreOptions { Directory = data }, NullLogger.Instance);
            Assert.Equal(Documents, (await resumed.FindCollectionAsync("bulk", cancel))!.DocumentCount);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
