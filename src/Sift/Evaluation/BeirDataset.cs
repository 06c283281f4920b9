using System.Globalization;
using System.Text.Json;

namespace Sift.Evaluation;

/// <summary>
/// A retrieval test collection in the BEIR layout: <c>corpus.jsonl</c> (<c>{"_id", "title", "text"}</c>),
/// <c>queries.jsonl</c> (<c>{"_id", "text"}</c>) and <c>qrels/{split}.tsv</c> (<c>query-id corpus-id score</c>,
/// tab-separated, with a header line). The queries evaluated are those of the qrels file, in its order.
/// </summary>
public sealed class BeirDataset
{
    private BeirDataset(string name, IReadOnlyList<BeirDocument> corpus, IReadOnlyDictionary<string, string> queries,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> judgments, IReadOnlyList<string> judgedQueryIds, int judgedMissingDocuments)
    {
        JudgedQueryIds = judgedQueryIds;
        Name = name;
        Corpus = corpus;
        Queries = queries;
        Judgments = judgments;
        JudgedMissingDocuments = judgedMissingDocuments;
    }

    /// <summary>The folder's name: the default collection name.</summary>
    public string Name { get; }

    /// <summary>The documents, in file order.</summary>
    public IReadOnlyList<BeirDocument> Corpus { get; }

    /// <summary>Every query of queries.jsonl by id (more than are judged, often).</summary>
    public IReadOnlyDictionary<string, string> Queries { get; }

    /// <summary>Relevance grades by query id, then document id.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Judgments { get; }

    /// <summary>Judgments naming a document that is not in the corpus (they still count, as in pytrec_eval: no system can find them).</summary>
    public int JudgedMissingDocuments { get; }

    /// <summary>The ids of the judged queries (the ones evaluated), in the qrels file's order.</summary>
    public IReadOnlyList<string> JudgedQueryIds { get; }

    /// <summary>Reads a BEIR folder; <paramref name="split"/> picks <c>qrels/{split}.tsv</c>.</summary>
    /// <exception cref="BeirFormatException">A file is missing or malformed.</exception>
    public static BeirDataset Load(string directory, string split = "test")
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
        {
            throw new BeirFormatException($"{directory}: no such folder (a BEIR folder holds corpus.jsonl, queries.jsonl and qrels/{split}.tsv)");
        }
        var corpusPath = Required(directory, "corpus.jsonl");
        var queriesPath = Required(directory, "queries.jsonl");
        var qrelsPath = Required(directory, Path.Combine("qrels", split + ".tsv"));

        var corpus = new List<BeirDocument>();
        var documentIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (line, record) in ReadJsonLines(corpusPath))
        {
            var id = Id(record, corpusPath, line);
            if (!documentIds.Add(id))
            {
                throw new BeirFormatException($"{corpusPath} line {line}: document id \"{id}\" appears twice");
            }
            corpus.Add(new BeirDocument(id, OptionalString(record, "title", corpusPath, line), RequiredString(record, "text", corpusPath, line)));
        }
        if (corpus.Count == 0)
        {
            throw new BeirFormatException($"{corpusPath}: no documents");
        }

        var queries = ReadQueries(queriesPath);
        var judgments = ReadJudgments(qrelsPath, queries);
        var missing = judgments.Grades.Values.SelectMany(j => j.Keys).Count(id => !documentIds.Contains(id));
        return new BeirDataset(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))), corpus, queries,
            judgments.Grades, judgments.QueryIds, missing);
    }

    /// <summary>Reads a BEIR queries.jsonl: <c>{"_id", "text"}</c> per line.</summary>
    /// <exception cref="BeirFormatException">The file is missing or malformed.</exception>
    public static IReadOnlyDictionary<string, string> ReadQueries(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new BeirFormatException($"{path}: missing (queries are JSON lines {{\"_id\", \"text\"}})");
        }
        var queries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (line, record) in ReadJsonLines(path))
        {
            var id = Id(record, path, line);
            if (!queries.TryAdd(id, RequiredString(record, "text", path, line)))
            {
                throw new BeirFormatException($"{path} line {line}: query id \"{id}\" appears twice");
            }
        }
        return queries;
    }

    /// <summary>Reads a BEIR qrels file (<c>query-id corpus-id score</c>, tab-separated, header optional) whose queries are all in <paramref name="queries"/>.</summary>
    /// <exception cref="BeirFormatException">The file is missing or malformed.</exception>
    public static BeirJudgments ReadJudgments(string path, IReadOnlyDictionary<string, string> queries)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(queries);
        if (!File.Exists(path))
        {
            throw new BeirFormatException($"{path}: missing (qrels are tab-separated lines: query-id, corpus-id, score)");
        }
        var judgments = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        var order = new List<string>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            var fields = line.Split('\t');
            if (fields.Length != 3)
            {
                throw new BeirFormatException($"{path} line {lineNumber}: expected 3 tab-separated fields (query-id, corpus-id, score), got {fields.Length}");
            }
            if (!int.TryParse(fields[2].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var grade))
            {
                if (lineNumber == 1)
                {
                    continue; // the header: query-id corpus-id score
                }
                throw new BeirFormatException($"{path} line {lineNumber}: the score \"{fields[2]}\" is not an integer relevance grade");
            }
            var (queryId, documentId) = (fields[0].Trim(), fields[1].Trim());
            if (queryId.Length == 0 || documentId.Length == 0)
            {
                throw new BeirFormatException($"{path} line {lineNumber}: empty query or document id");
            }
            if (!queries.ContainsKey(queryId))
            {
                throw new BeirFormatException($"{path} line {lineNumber}: query \"{queryId}\" is not in queries.jsonl");
            }
            if (!judgments.TryGetValue(queryId, out var grades))
            {
                grades = judgments[queryId] = new Dictionary<string, int>(StringComparer.Ordinal);
                order.Add(queryId);
            }
            if (grades.TryGetValue(documentId, out var previous) && previous != grade)
            {
                throw new BeirFormatException($"{path} line {lineNumber}: query \"{queryId}\" judges document \"{documentId}\" twice, {previous} and {grade}");
            }
            grades[documentId] = grade;
        }
        if (judgments.Count == 0)
        {
            throw new BeirFormatException($"{path}: no judgments");
        }
        return new BeirJudgments(judgments.ToDictionary(p => p.Key, p => (IReadOnlyDictionary<string, int>)p.Value, StringComparer.Ordinal), order);
    }

    private static string Required(string directory, string relative)
    {
        var path = Path.Combine(directory, relative);
        return File.Exists(path) ? path : throw new BeirFormatException($"{path}: missing (a BEIR folder holds corpus.jsonl, queries.jsonl and qrels/<split>.tsv)");
    }

    private static IEnumerable<(int Line, JsonElement Record)> ReadJsonLines(string path)
    {
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            JsonElement record;
            try
            {
                using var document = JsonDocument.Parse(line);
                record = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new BeirFormatException($"{path} line {lineNumber}: not valid JSON ({e.Message})");
            }
            if (record.ValueKind != JsonValueKind.Object)
            {
                throw new BeirFormatException($"{path} line {lineNumber}: expected a JSON object, got {record.ValueKind}");
            }
            yield return (lineNumber, record);
        }
    }

    private static string Id(JsonElement record, string path, int line)
    {
        if (!record.TryGetProperty("_id", out var id))
        {
            throw new BeirFormatException($"{path} line {line}: no \"_id\"");
        }
        // Some exports write numeric ids; they name the same thing as their decimal text in the qrels.
        var text = id.ValueKind switch
        {
            JsonValueKind.String => id.GetString()!,
            JsonValueKind.Number => id.GetRawText(),
            _ => throw new BeirFormatException($"{path} line {line}: \"_id\" must be a string, got {id.ValueKind}"),
        };
        return text.Length > 0 ? text : throw new BeirFormatException($"{path} line {line}: \"_id\" is empty");
    }

    private static string RequiredString(JsonElement record, string name, string path, int line) =>
        record.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new BeirFormatException($"{path} line {line}: \"{name}\" must be a string, got {(record.TryGetProperty(name, out var v) ? v.ValueKind.ToString() : "nothing")}");

    private static string OptionalString(JsonElement record, string name, string path, int line) =>
        !record.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? ""
            : value.ValueKind == JsonValueKind.String ? value.GetString()!
            : throw new BeirFormatException($"{path} line {line}: \"{name}\" must be a string, got {value.ValueKind}");
}
