using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Sift.Retrieval.Stores.Embedded;

public sealed partial class EmbeddedStore
{
    /// <summary>SQLite result codes that mean the database, not the request, failed: the request may succeed later.</summary>
    private static readonly Dictionary<int, string> UnavailableCodes = new()
    {
        [5] = "the database is busy",
        [6] = "the database is locked",
        [8] = "the database is read-only",
        [10] = "the disk failed a read or write",
        [13] = "the database or the disk is full",
        [14] = "the database file cannot be opened",
    };

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return command;
    }

    /// <summary>Runs database work, turning failures of the database itself into 503s that say what failed.</summary>
    private static T Guard<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (SqliteException e) when (UnavailableCodes.TryGetValue(e.SqliteErrorCode, out var what))
        {
            throw RetrievalException.Unavailable($"the embedded database cannot take this request: {what} ({e.Message}); nothing of it was written", e);
        }
    }

    /// <summary>Runs a read on its own pooled connection (WAL readers never wait for the writer).</summary>
    private T Read<T>(Func<SqliteConnection, T> read) => Guard(() =>
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return read(connection);
    });

    /// <summary>
    /// Keys of the chunks whose document's metadata equals every filter entry. Numbers match numbers
    /// by value, strings match strings, booleans booleans (JSON types never mix: "1" ≠ 1 ≠ true).
    /// </summary>
    private static HashSet<long> FilteredKeys(SqliteConnection connection, long collectionId, IReadOnlyDictionary<string, MetadataValue> filter)
    {
        using var command = connection.CreateCommand();
        var sql = new StringBuilder("SELECT c.id FROM chunks c JOIN documents d ON d.collection_id = c.collection_id AND d.id = c.document_id WHERE c.collection_id = $c");
        command.Parameters.AddWithValue("$c", collectionId);
        var n = 0;
        foreach (var (key, value) in filter)
        {
            var path = $"$p{n}";
            command.Parameters.AddWithValue(path, $"$.\"{key}\"");
            switch (value.Kind)
            {
                case MetadataKind.String:
                    sql.Append(CultureInfo.InvariantCulture, $" AND json_type(d.metadata, {path}) = 'text' AND json_extract(d.metadata, {path}) = $v{n}");
                    command.Parameters.AddWithValue($"$v{n}", value.Text);
                    break;
                case MetadataKind.Number:
                    sql.Append(CultureInfo.InvariantCulture, $" AND json_type(d.metadata, {path}) IN ('integer', 'real') AND json_extract(d.metadata, {path}) = $v{n}");
                    command.Parameters.AddWithValue($"$v{n}", value.Number);
                    break;
                default:
                    sql.Append(CultureInfo.InvariantCulture, $" AND json_type(d.metadata, {path}) = '{(value.Boolean ? "true" : "false")}'");
                    break;
            }
            n++;
        }
        command.CommandText = sql.ToString();
        using var reader = command.ExecuteReader();
        var keys = new HashSet<long>();
        while (reader.Read())
        {
            keys.Add(reader.GetInt64(0));
        }
        return keys;
    }

    /// <summary>The texts and metadata of the hits, in hit order (a chunk deleted since the vector stage is left out).</summary>
    private static List<ChunkMatch> LoadMatches(SqliteConnection connection, VectorHit[] hits)
    {
        if (hits.Length == 0)
        {
            return [];
        }
        using var command = Command(connection, """
            SELECT c.id, c.document_id, c.chunk_index, c.text, d.metadata
            FROM chunks c JOIN documents d ON d.collection_id = c.collection_id AND d.id = c.document_id
            WHERE c.id IN (SELECT value FROM json_each($ids))
            """, ("$ids", JsonSerializer.Serialize(hits.Select(h => h.Key))));
        using var reader = command.ExecuteReader();
        var rows = new Dictionary<long, (string Document, int Index, string Text, string Metadata)>();
        while (reader.Read())
        {
            rows[reader.GetInt64(0)] = (reader.GetString(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4));
        }
        var metadata = new Dictionary<string, IReadOnlyDictionary<string, MetadataValue>>(StringComparer.Ordinal);
        var matches = new List<ChunkMatch>(hits.Length);
        foreach (var hit in hits)
        {
            if (rows.TryGetValue(hit.Key, out var row))
            {
                if (!metadata.TryGetValue(row.Metadata, out var parsed))
                {
                    metadata[row.Metadata] = parsed = DocumentMetadata.Parse(row.Metadata);
                }
                matches.Add(new ChunkMatch(row.Document, row.Index, row.Text, parsed, hit.Score));
            }
        }
        return matches;
    }

    /// <summary>Reads every collection and its vectors into memory, then opens (or starts rebuilding) their indexes.</summary>
    private void LoadCollections()
    {
        var states = new List<CollectionState>();
        using (var command = Command(_writer, "SELECT id, name, model, dimensions, chunk_tokens, chunk_overlap, created_at, write_version FROM collections"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var settings = new CollectionSettings
                {
                    Name = reader.GetString(1),
                    Model = reader.GetString(2),
                    Dimensions = reader.GetInt32(3),
                    ChunkTokens = reader.GetInt32(4),
                    ChunkOverlap = reader.GetInt32(5),
                };
                var created = DateTimeOffset.Parse(reader.GetString(6), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
                states.Add(NewState(reader.GetInt64(0), settings, created, reader.GetInt64(7)));
            }
        }
        foreach (var state in states)
        {
            using (var vectors = Command(_writer, "SELECT id, embedding FROM chunks WHERE collection_id = $c", ("$c", state.Id)))
            using (var reader = vectors.ExecuteReader())
            {
                var buffer = new byte[state.Settings.Dimensions * sizeof(float)];
                while (reader.Read())
                {
                    var length = reader.GetBytes(1, 0, buffer, 0, buffer.Length);
                    if (length != buffer.Length)
                    {
                        throw new IOException($"chunk {reader.GetInt64(0)} of collection '{state.Settings.Name}' has a {length}-byte vector; {buffer.Length} expected");
                    }
                    state.Vectors.Load(reader.GetInt64(0), MemoryMarshal.Cast<byte, float>(buffer));
                }
            }
            using (var count = Command(_writer, "SELECT count(*) FROM documents WHERE collection_id = $c", ("$c", state.Id)))
            {
                state.DocumentCount = Convert.ToInt64(count.ExecuteScalar(), CultureInfo.InvariantCulture);
            }
            state.ChunkCount = state.Vectors.Count;
            state.Vectors.Open();
            _collections[state.Settings.Name] = state;
        }
    }

    /// <summary>A collection as the store keeps it in memory; counts and version change only under the write gate.</summary>
    private sealed class CollectionState(long id, CollectionSettings settings, DateTimeOffset created, IndexFile file, CollectionVectors vectors)
    {
        public long Id { get; } = id;

        public CollectionSettings Settings { get; } = settings;

        public IndexFile File { get; } = file;

        public CollectionVectors Vectors { get; } = vectors;

        public long DocumentCount { get; set; }

        public long ChunkCount { get; set; }

        public long WriteVersion { get; set; }

        public void Committed(long version, long documents, long chunks)
        {
            WriteVersion = version;
            DocumentCount += documents;
            ChunkCount += chunks;
        }

        public CollectionInfo Info() => new(Settings, DocumentCount, ChunkCount, WriteVersion, created);
    }
}
