using Microsoft.Data.Sqlite;
using Sift.Evaluation;
using Sift.Retrieval.Lexical;
using Sift.Tests.Evaluation;

namespace Sift.Tests.Retrieval.Lexical;

public sealed class SqliteLexicalIndexTests : IDisposable
{
    private const long Collection = 1;
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("sift-lexical-");
    private readonly SqliteConnection _connection;
    private readonly BeirDataset _data = BeirDataset.Load(EvaluationData.SyntheticBeir);

    public SqliteLexicalIndexTests()
    {
        _connection = new SqliteConnection($"Data Source={Path.Combine(_directory.FullName, "lexical.db")};Pooling=False");
        _connection.Open();
        SqliteLexicalIndex.Create(_connection, null, Collection);
        using var transaction = _connection.BeginTransaction();
        SqliteLexicalIndex.Add(_connection, transaction, Collection, _data.Corpus.Select((d, i) => ((long)i + 1, d.IndexText)));
        transaction.Commit();
    }

    [Theory]
    [InlineData("北京", "d09")]              // a two-character Chinese keyword (FTS5's own tokenizers miss it)
    [InlineData("电池续航", "d11")]
    [InlineData("光合作用", "d12")]
    [InlineData("日本の首都", "d14")]        // Japanese: kanji and kana
    [InlineData("富士山の標高", "d15")]
    [InlineData("printer error E4321", "d06")] // an error code
    [InlineData("getUserById", "d19")]       // a camelCase identifier
    [InlineData("config", "d18")]            // a part of a snake_case identifier
    [InlineData("what causes ocean tides", "d08")]
    public void Search_KeywordQuery_FindsTheDocumentContainingIt(string query, string expected)
    {
        var hits = SqliteLexicalIndex.Search(_connection, null, Collection, query, 5);

        Assert.NotEmpty(hits);
        Assert.Equal(expected, _data.Corpus[(int)hits[0].ChunkId - 1].Id);
        Assert.True(hits.Zip(hits.Skip(1)).All(p => p.First.Score >= p.Second.Score), "hits are best first");
    }

    [Fact]
    public void Search_SingleChineseCharacter_MatchesThroughIndexedUnigrams()
    {
        var hits = SqliteLexicalIndex.Search(_connection, null, Collection, "熊", 5);
        Assert.Equal("d13", _data.Corpus[(int)Assert.Single(hits).ChunkId - 1].Id);
    }

    [Fact]
    public void Search_NoTermsOrNoMatch_IsEmpty()
    {
        Assert.Empty(SqliteLexicalIndex.Search(_connection, null, Collection, "。！", 5));
        Assert.Empty(SqliteLexicalIndex.Search(_connection, null, Collection, "zebra", 5));
    }

    [Fact]
    public void Add_RolledBackWithItsTransaction_LeavesNothingSearchable()
    {
        using (var transaction = _connection.BeginTransaction())
        {
            SqliteLexicalIndex.Add(_connection, transaction, Collection, [(100, "a unique word: xylophone")]);
            Assert.Single(SqliteLexicalIndex.Search(_connection, transaction, Collection, "xylophone", 5));
            transaction.Rollback();
        }
        Assert.Empty(SqliteLexicalIndex.Search(_connection, null, Collection, "xylophone", 5));
    }

    [Fact]
    public void Remove_DeletedChunkIsNoLongerFound()
    {
        using (var transaction = _connection.BeginTransaction())
        {
            SqliteLexicalIndex.Remove(_connection, transaction, Collection, [19L, 12345L]);
            transaction.Commit();
        }
        Assert.DoesNotContain(SqliteLexicalIndex.Search(_connection, null, Collection, "getUserById", 5), h => h.ChunkId == 19);
    }

    [Fact]
    public void Collections_HaveTheirOwnTables()
    {
        SqliteLexicalIndex.Create(_connection, null, 2);
        SqliteLexicalIndex.Add(_connection, null, 2, [(1, "only in the second collection: walrus")]);

        Assert.Empty(SqliteLexicalIndex.Search(_connection, null, Collection, "walrus", 5));
        Assert.Single(SqliteLexicalIndex.Search(_connection, null, 2, "walrus", 5));
        Assert.True(SqliteLexicalIndex.Exists(_connection, null, 2));
        SqliteLexicalIndex.Drop(_connection, null, 2);
        Assert.False(SqliteLexicalIndex.Exists(_connection, null, 2));
    }

    public void Dispose()
    {
        _connection.Dispose();
        _directory.Delete(recursive: true);
    }
}
