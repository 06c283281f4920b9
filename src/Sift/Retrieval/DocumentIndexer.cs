using System.Security.Cryptography;
using System.Text;
using Sift.Engine;

namespace Sift.Retrieval;

/// <summary>
/// The one indexing path (HTTP upsert, <c>sift index</c>, evaluation): validates documents, splits
/// them into token windows with the model's tokenizer, embeds every chunk as a document in one call
/// (the engine packs them into token-budget batches), and writes them to the store in one transaction.
/// </summary>
/// <param name="store">Where the documents go.</param>
/// <param name="embedder">The collection's embedding model.</param>
/// <param name="maxChunks">
/// The most chunks one upsert may make. An upsert holds every chunk's vector until its transaction
/// commits, so this bounds its memory; the server passes --max-client-batch-size, the most vectors one
/// /v1/embeddings request makes (a short body cut into 16-token windows would otherwise make tens of thousands).
/// </param>
public sealed class DocumentIndexer(IRetrievalStore store, ITextEmbedder embedder, int maxChunks = int.MaxValue)
{
    /// <summary>
    /// Upserts <paramref name="documents"/> into <paramref name="collection"/>; durable when the task
    /// completes. With <paramref name="skipUnchanged"/>, documents whose stored text and metadata are the
    /// same are left as they are, which makes re-running an import cheap.
    /// </summary>
    public async Task<IndexReport> UpsertAsync(CollectionInfo collection, IReadOnlyList<DocumentInput> documents, bool skipUnchanged,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(documents);
        CollectionModel.Require(collection, embedder);
        Validate(documents);
        var settings = collection.Settings;
        if (settings.ChunkTokens >= embedder.MaxLength)
        {
            throw RetrievalException.Conflict(
                $"collection '{collection.Name}' cuts {settings.ChunkTokens}-token chunks, but the model reads at most {embedder.MaxLength} tokens (--max-input-length)",
                "chunk_tokens", "chunk_too_long");
        }

        var hashes = documents.Select(ContentHash).ToArray();
        var pending = Enumerable.Range(0, documents.Count).ToList();
        if (skipUnchanged)
        {
            var stored = await store.GetTextHashesAsync(collection.Name, documents.Select(d => d.Id).ToArray(), cancellationToken);
            pending.RemoveAll(i => stored.TryGetValue(documents[i].Id, out var hash) && hash.AsSpan().SequenceEqual(hashes[i]));
        }
        if (pending.Count == 0)
        {
            return new IndexReport(0, documents.Count, 0, 0, collection.WriteVersion);
        }

        var chunks = new IReadOnlyList<TextChunk>[pending.Count];
        var chunkCount = 0;
        for (var k = 0; k < pending.Count; k++)
        {
            chunks[k] = Chunker.Split(embedder.Tokenizer, documents[pending[k]].Text, settings.ChunkTokens, settings.ChunkOverlap);
            chunkCount += chunks[k].Count;
            if (chunkCount > maxChunks)
            {
                throw RetrievalException.BadRequest(
                    $"'documents' make {chunkCount} chunks of {settings.ChunkTokens} tokens by documents[{pending[k]}]; the limit is {maxChunks} per upsert "
                    + "(--max-client-batch-size): send fewer or shorter documents per request", "documents", "too_many_chunks");
            }
        }
        var inputs = chunks.SelectMany(c => c).Select(c => EmbeddingInput.Document(c.Text)).ToArray();
        var embedded = await embedder.EmbedAsync(inputs, settings.Dimensions, cancellationToken);
        var indexed = new IndexedDocument[pending.Count];
        var next = 0;
        for (var k = 0; k < pending.Count; k++)
        {
            var i = pending[k];
            indexed[k] = new IndexedDocument(documents[i], hashes[i], chunks[k].Select(c => new EmbeddedChunk(c.Index, c.Text, embedded.Vectors[next++])).ToArray());
        }
        var version = await store.UpsertAsync(settings, indexed, cancellationToken);
        return new IndexReport(pending.Count, documents.Count - pending.Count, inputs.Length, embedded.TokenCount, version);
    }

    /// <summary>
    /// What decides whether a re-indexed document is unchanged: SHA-256 of its text, then (when it has
    /// metadata) U+0000 and its canonical metadata JSON, so a document whose metadata alone changed is
    /// written again. Text cannot hold U+0000, so the two parts cannot run into each other; documents
    /// without metadata keep the text-only hash that stores written before metadata counted hold.
    /// </summary>
    internal static byte[] ContentHash(DocumentInput document) => SHA256.HashData(Encoding.UTF8.GetBytes(
        document.Metadata.Count == 0 ? document.Text : $"{document.Text}\0{DocumentMetadata.ToJson(document.Metadata)}"));

    private static void Validate(IReadOnlyList<DocumentInput> documents)
    {
        if (documents.Count == 0)
        {
            throw RetrievalException.BadRequest("'documents' is empty; give at least one document", "documents");
        }
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < documents.Count; i++)
        {
            documents[i].Validate($"documents[{i}]");
            if (!seen.TryAdd(documents[i].Id, i))
            {
                throw RetrievalException.BadRequest(
                    $"documents[{i}].id '{documents[i].Id}' repeats documents[{seen[documents[i].Id]}].id; give each document once per request",
                    $"documents[{i}].id", "duplicate_id");
            }
        }
    }
}
