using System.Globalization;
using Npgsql;

namespace Sift.Retrieval.Stores.Postgres;

public sealed partial class PostgresStore
{
    /// <summary>The catalog: one row per collection, with counts and the write version kept in the writes' transactions.</summary>
    private const string CatalogSchema = """
        CREATE TABLE IF NOT EXISTS sift_collections (
            id bigserial PRIMARY KEY,
            name text NOT NULL UNIQUE,
            model text NOT NULL,
            dimensions integer NOT NULL,
            chunk_tokens integer NOT NULL,
            chunk_overlap integer NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            write_version bigint NOT NULL DEFAULT 0,
            document_count bigint NOT NULL DEFAULT 0,
            chunk_count bigint NOT NULL DEFAULT 0)
        """;

    private const string SelectCollection =
        "SELECT id, name, model, dimensions, chunk_tokens, chunk_overlap, created_at, write_version, document_count, chunk_count FROM sift_collections";

    private static string DocumentsTable(long id) => string.Create(CultureInfo.InvariantCulture, $"sift_documents_{id}");

    private static string ChunksTable(long id) => string.Create(CultureInfo.InvariantCulture, $"sift_chunks_{id}");

    /// <summary>A collection's tables; the vector column has the collection's width, so its HNSW index can exist.</summary>
    private static string CollectionSchema(long id, int dimensions)
    {
        var (type, operators) = dimensions > MaxVectorIndexDimensions ? ("halfvec", "halfvec_cosine_ops") : ("vector", "vector_cosine_ops");
        var index = dimensions > MaxHalfVectorIndexDimensions
            ? ""
            : $"CREATE INDEX {ChunksTable(id)}_embedding ON {ChunksTable(id)} USING hnsw (embedding {operators});";
        return string.Create(CultureInfo.InvariantCulture, $"""
            CREATE TABLE {DocumentsTable(id)} (id text PRIMARY KEY, text text NOT NULL, metadata jsonb NOT NULL, text_hash bytea NOT NULL);
            CREATE TABLE {ChunksTable(id)} (
                id bigserial PRIMARY KEY,
                document_id text NOT NULL,
                chunk_index integer NOT NULL,
                text text NOT NULL,
                metadata jsonb NOT NULL,
                embedding {type}({dimensions}) NOT NULL);
            CREATE INDEX {ChunksTable(id)}_document ON {ChunksTable(id)} (document_id);
            {index}
            """);
    }

    private static async Task<CollectionRow?> FindAsync(NpgsqlConnection connection, string name, NpgsqlTransaction? transaction, bool forUpdate,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"{SelectCollection} WHERE name = $1{(forUpdate ? " FOR UPDATE" : "")}", connection, transaction);
        command.Parameters.Add(new() { Value = name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadCollection(reader) : null;
    }

    private static CollectionRow ReadCollection(NpgsqlDataReader reader)
    {
        var settings = new CollectionSettings
        {
            Name = reader.GetString(1),
            Model = reader.GetString(2),
            Dimensions = reader.GetInt32(3),
            ChunkTokens = reader.GetInt32(4),
            ChunkOverlap = reader.GetInt32(5),
        };
        var created = new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(6), DateTimeKind.Utc));
        return new CollectionRow(reader.GetInt64(0), settings, new CollectionInfo(settings, reader.GetInt64(8), reader.GetInt64(9), reader.GetInt64(7), created));
    }

    private static async Task<long> BumpAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long id, long documents, long chunks,
        CancellationToken cancellationToken)
    {
        await using var bump = new NpgsqlCommand("""
            UPDATE sift_collections SET write_version = write_version + 1, document_count = document_count + $2, chunk_count = chunk_count + $3
            WHERE id = $1 RETURNING write_version
            """, connection, transaction);
        bump.Parameters.Add(new() { Value = id });
        bump.Parameters.Add(new() { Value = documents });
        bump.Parameters.Add(new() { Value = chunks });
        return (long)(await bump.ExecuteScalarAsync(cancellationToken))!;
    }

    private sealed record CollectionRow(long Id, CollectionSettings Settings, CollectionInfo Info);
}
