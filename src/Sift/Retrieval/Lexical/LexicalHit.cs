namespace Sift.Retrieval.Lexical;

/// <summary>A chunk the lexical index matched.</summary>
/// <param name="ChunkId">The chunk's key in its store.</param>
/// <param name="Score">The database's relevance (higher is better): BM25 in SQLite, ts_rank_cd in PostgreSQL. Comparable within one search only.</param>
public sealed record LexicalHit(long ChunkId, double Score);
