using Sift.Engine;
using Sift.Retrieval;

namespace Sift.Training;

/// <summary>
/// Turns judged queries into ms-swift training lines with the two-stage search: each query is
/// searched (vector stage, then the reranker over every candidate), the candidates are taken in
/// vector order, and <see cref="HardNegativeMiner"/> keeps those the reranker rejects and the
/// judgments do not call relevant. One line per (query, relevant document); texts are the stored
/// documents' texts.
/// </summary>
/// <param name="store">Where the collection lives.</param>
/// <param name="embedder">The collection's embedding model.</param>
/// <param name="reranker">The reranker that judges the candidates.</param>
public sealed class HardNegativeExporter(IRetrievalStore store, ITextEmbedder embedder, IPassageReranker reranker)
{
    /// <summary>Writes the examples of every judged query; returns what was written and skipped.</summary>
    /// <param name="collection">The collection holding the documents the judgments name.</param>
    /// <param name="queries">Query texts by id.</param>
    /// <param name="judgments">Grades by query id, then document id (grade ≥ 1 is relevant).</param>
    /// <param name="queryIds">The queries to export, in order.</param>
    /// <param name="negatives">Hard negatives per example, at most.</param>
    /// <param name="topK">Candidates the vector stage recalls (and the reranker scores).</param>
    /// <param name="instruction">The query task; null means the default.</param>
    /// <param name="writer">Where the lines go.</param>
    /// <param name="cancellationToken">Stops the export.</param>
    public async Task<ExportReport> ExportAsync(string collection, IReadOnlyDictionary<string, string> queries,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> judgments, IReadOnlyList<string> queryIds, int negatives, int topK, string? instruction,
        SwiftEmbeddingWriter writer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(judgments);
        ArgumentNullException.ThrowIfNull(queryIds);
        ArgumentNullException.ThrowIfNull(writer);
        var info = await store.FindCollectionAsync(collection, cancellationToken) ?? throw RetrievalException.CollectionNotFound(collection);
        var pipeline = new SearchPipeline(store, embedder, reranker);
        var texts = new Dictionary<string, string?>(StringComparer.Ordinal);
        async Task<string?> TextOf(string id)
        {
            if (!texts.TryGetValue(id, out var text))
            {
                texts[id] = text = (await store.GetDocumentAsync(collection, id, cancellationToken))?.Text;
            }
            return text;
        }

        int examples = 0, withoutPositive = 0, missingPositives = 0, negativesWritten = 0;
        foreach (var queryId in queryIds)
        {
            var query = queries[queryId];
            var positives = judgments[queryId].Where(j => j.Value > 0).Select(j => j.Key).ToHashSet(StringComparer.Ordinal);
            if (positives.Count == 0)
            {
                withoutPositive++;
                continue;
            }
            var response = (await pipeline.SearchAsync(info, new SearchRequest
            {
                Query = query,
                Instruction = instruction,
                TopK = topK,
                TopN = topK,
                Hybrid = false,
                Rerank = true,
            }, cancellationToken)).RequireReranked();
            // The vector stage's order: the cosine of each document's chunk, highest first.
            var candidates = response.Results.OrderByDescending(h => h.VectorScore)
                .Select(h => (h.DocumentId, h.Score))
                .ToArray();
            foreach (var positive in positives.Order(StringComparer.Ordinal))
            {
                if (await TextOf(positive) is not { } positiveText)
                {
                    missingPositives++;
                    continue;
                }
                var positiveScore = response.Results.FirstOrDefault(h => h.DocumentId == positive)?.Score
                    ?? (await reranker.ScoreAsync(query, [positiveText], null, cancellationToken)).Scores[0];
                var mined = new List<MiningCandidate>();
                foreach (var (id, score) in candidates)
                {
                    if (await TextOf(id) is { } text)
                    {
                        mined.Add(new MiningCandidate(id, text, score));
                    }
                }
                var chosen = HardNegativeMiner.Select(mined, positives, positiveScore, negatives);
                writer.Write(new SwiftEmbeddingExample(Prompts.EmbeddingQuery(query, instruction), positiveText, chosen.Select(c => c.Text).ToArray()));
                examples++;
                negativesWritten += chosen.Count;
            }
        }
        return new ExportReport(examples, negativesWritten, withoutPositive, missingPositives);
    }
}
