using Lucene.Net.Analysis;
using Lucene.Net.Analysis.Cjk;
using Lucene.Net.Analysis.Cn.Smart;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sift.Evaluation;
using Sift.Retrieval.Lexical;

namespace Sift.Bench;

/// <summary>
/// Which lexical analysis finds a keyword in Chinese, Japanese, English and code: each option indexes
/// the synthetic BEIR set (tests/Sift.Tests/Evaluation/Data/synthetic-beir) and answers keyword
/// probes; the table says, per option, how often the document holding the keyword comes first and
/// in the top 5. PostgreSQL options run when --postgres CONNECTION is given (a PGlite or real
/// server with pg_trgm available).
/// </summary>
internal static class LexicalChoiceBenchmark
{
    private const int Depth = 5;

    public static void Run(BenchOptions options)
    {
        var dataset = BeirDataset.Load(Path.Combine(Path.GetDirectoryName(BenchPaths.Fixtures)!, "Sift.Tests", "Evaluation", "Data", "synthetic-beir"));
        var documents = dataset.Corpus.Select(d => (d.Id, d.IndexText)).ToArray();
        var probes = dataset.JudgedQueryIds
            .Select(q => (Query: dataset.Queries[q], Expected: dataset.Judgments[q].Where(j => j.Value == 2).Select(j => j.Key).ToHashSet()))
            .Concat(new (string, HashSet<string>)[]
            {
                ("首都", ["d09", "d14"]), ("熊猫", ["d13"]), ("熊", ["d13"]), ("標高", ["d15"]), ("新幹線", ["d16"]), ("寿司", ["d17"]),
                ("E4321", ["d06"]), ("config", ["d18"]), ("HttpClient", ["d21"]), ("quicksort", ["d22"]),
            })
            .ToArray();

        var results = new List<(string Option, int First, int Top, List<string> Missed)>();
        void Measure(string name, Func<string, IReadOnlyList<string>> search)
        {
            int first = 0, top = 0;
            var missed = new List<string>();
            foreach (var (query, expected) in probes)
            {
                var hits = search(query);
                first += hits.Count > 0 && expected.Contains(hits[0]) ? 1 : 0;
                var found = hits.Take(Depth).Any(expected.Contains);
                top += found ? 1 : 0;
                if (!found)
                {
                    missed.Add(query);
                }
            }
            results.Add((name, first, top, missed));
        }

        using (var sqlite = new SqliteConnection("Data Source=:memory:"))
        {
            sqlite.Open();
            foreach (var tokenizer in new[] { "unicode61", "trigram" })
            {
                Measure($"SQLite FTS5 {tokenizer}, raw text", Fts5(sqlite, tokenizer, documents, text => text, RawMatch));
            }
            Measure("SQLite FTS5, Sift's analysis (chosen)", Fts5(sqlite, "unicode61 remove_diacritics 0", documents, LexicalAnalyzer.DocumentIndexText,
                q => SqliteLexicalIndex.MatchExpression(LexicalAnalyzer.QueryTerms(q))));
        }
        Measure("Lucene.Net 4.8 SmartCn, BM25", LuceneIndex(new SmartChineseAnalyzer(LuceneVersion.LUCENE_48), documents));
        Measure("Lucene.Net 4.8 CJKAnalyzer (bigrams), BM25", LuceneIndex(new CJKAnalyzer(LuceneVersion.LUCENE_48), documents));
        if (options.Postgres is { } connectionString)
        {
            using var postgres = new NpgsqlConnection(connectionString);
            postgres.Open();
            Measure("PostgreSQL to_tsvector('simple'), raw text", Postgres(postgres, documents, "raw"));
            Measure("PostgreSQL pg_trgm word_similarity, raw text", Postgres(postgres, documents, "trgm"));
            Measure("PostgreSQL tsvector, Sift's analysis (chosen)", Postgres(postgres, documents, "sift"));
        }

        Console.WriteLine($"{probes.Length} keyword probes over {documents.Length} documents (English, Chinese, Japanese, code)");
        Console.WriteLine($"| option | first | top {Depth} | missed (not in the top {Depth}) |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (option, first, top, missed) in results)
        {
            Console.WriteLine($"| {option} | {first}/{probes.Length} | {top}/{probes.Length} | {string.Join(", ", missed)} |");
        }
    }

    private static string? RawMatch(string query)
    {
        // The query's words as FTS5 would see them, each quoted, any of them.
        var words = query.Split([' ', '?', '.', ','], StringSplitOptions.RemoveEmptyEntries);
        return words.Length == 0 ? null : string.Join(" OR ", words.Select(w => $"\"{w}\""));
    }

    private static Func<string, IReadOnlyList<string>> Fts5(SqliteConnection connection, string tokenizer, (string Id, string Text)[] documents,
        Func<string, string> analyze, Func<string, string?> match)
    {
        var table = "t" + Guid.NewGuid().ToString("N");
        using (var create = connection.CreateCommand())
        {
            create.CommandText = $"CREATE VIRTUAL TABLE {table} USING fts5(id UNINDEXED, body, tokenize = '{tokenizer}')";
            create.ExecuteNonQuery();
        }
        foreach (var (id, text) in documents)
        {
            using var insert = connection.CreateCommand();
            insert.CommandText = $"INSERT INTO {table} (id, body) VALUES ($id, $body)";
            insert.Parameters.AddWithValue("$id", id);
            insert.Parameters.AddWithValue("$body", analyze(text));
            insert.ExecuteNonQuery();
        }
        return query =>
        {
            if (match(query) is not { } expression)
            {
                return [];
            }
            using var search = connection.CreateCommand();
            search.CommandText = $"SELECT id FROM {table} WHERE {table} MATCH $q ORDER BY rank LIMIT {Depth}";
            search.Parameters.AddWithValue("$q", expression);
            using var reader = search.ExecuteReader();
            var ids = new List<string>();
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }
            return ids;
        };
    }

    private static Func<string, IReadOnlyList<string>> LuceneIndex(Analyzer analyzer, (string Id, string Text)[] documents)
    {
        var directory = new RAMDirectory();
        using (var writer = new IndexWriter(directory, new IndexWriterConfig(LuceneVersion.LUCENE_48, analyzer) { Similarity = new BM25Similarity() }))
        {
            foreach (var (id, text) in documents)
            {
                writer.AddDocument(new Document { new StringField("id", id, Field.Store.YES), new TextField("body", text, Field.Store.NO) });
            }
        }
        var searcher = new IndexSearcher(DirectoryReader.Open(directory)) { Similarity = new BM25Similarity() };
        return query =>
        {
            var boolean = new BooleanQuery();
            using (var stream = analyzer.GetTokenStream("body", query))
            {
                var term = stream.AddAttribute<ICharTermAttribute>();
                stream.Reset();
                while (stream.IncrementToken())
                {
                    boolean.Add(new TermQuery(new Term("body", term.ToString())), Occur.SHOULD);
                }
                stream.End();
            }
            return searcher.Search(boolean, Depth).ScoreDocs.Select(hit => searcher.Doc(hit.Doc).Get("id")).ToArray();
        };
    }

    private static Func<string, IReadOnlyList<string>> Postgres(NpgsqlConnection connection, (string Id, string Text)[] documents, string kind)
    {
        var table = "lexical_choice_" + kind;
        void Execute(string sql, params object[] values)
        {
            using var command = new NpgsqlCommand(sql, connection);
            foreach (var value in values)
            {
                command.Parameters.AddWithValue(value);
            }
            command.ExecuteNonQuery();
        }
        if (kind == "trgm")
        {
            Execute("CREATE EXTENSION IF NOT EXISTS pg_trgm");
        }
        Execute($"DROP TABLE IF EXISTS {table}");
        Execute($"CREATE TABLE {table} (id text PRIMARY KEY, body text NOT NULL, terms tsvector NOT NULL)");
        foreach (var (id, text) in documents)
        {
            Execute($"INSERT INTO {table} (id, body, terms) VALUES ($1, $2, to_tsvector('simple', $3))", id, text,
                kind == "sift" ? LexicalAnalyzer.DocumentIndexText(text) : text);
        }
        var sql = kind switch
        {
            // The query's own words (PostgreSQL's parser), any of them.
            "raw" => $"SELECT id FROM {table}, (SELECT replace(plainto_tsquery('simple', $1)::text, '&', '|')::tsquery AS q) x "
                + $"WHERE terms @@ x.q ORDER BY ts_rank_cd(terms, x.q) DESC LIMIT {Depth}",
            "trgm" => $"SELECT id FROM {table} ORDER BY word_similarity($1, body) DESC, id LIMIT {Depth}",
            _ => $"SELECT id FROM {table}, to_tsquery('simple', $1) q WHERE terms @@ q ORDER BY ts_rank_cd(terms, q) DESC LIMIT {Depth}",
        };
        return query =>
        {
            var argument = kind == "sift" ? string.Join(" | ", LexicalAnalyzer.QueryTerms(query)) : query;
            if (argument.Length == 0)
            {
                return [];
            }
            using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue(argument);
            using var reader = command.ExecuteReader();
            var ids = new List<string>();
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }
            return ids;
        };
    }
}
