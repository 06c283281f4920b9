using Lucene.Net.Analysis;
using Lucene.Net.Analysis.Cjk;
using Lucene.Net.Analysis.Core;
using Lucene.Net.Analysis.Miscellaneous;
using Lucene.Net.Analysis.Standard;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Util;

namespace Sift.Retrieval.Lexical;

/// <summary>
/// Turns text into the terms of the lexical index, the same way for every store and language:
/// <list type="bullet">
/// <item>Unicode word boundaries (UAX #29, Lucene's StandardTokenizer), full-width forms folded (CJKWidthFilter);</item>
/// <item>code identifiers split into their parts and kept joined (<c>getUserById</c> → get, user, by, id, getuserbyid;
/// <c>parse_config</c> → parse, config, parseconfig; <c>E4321</c> → e, 4321, e4321);</item>
/// <item>lower case;</item>
/// <item>Chinese, Japanese and Korean as overlapping character bigrams (北京大学 → 北京, 京大, 大学), the
/// scheme of Lucene's and Elasticsearch's CJK analyzers: no dictionary, any CJK script, and a
/// two-character keyword matches wherever it appears. Documents also index single characters,
/// so a one-character query finds them too.</item>
/// </list>
/// Every term is letters and digits only, so SQLite FTS5 (unicode61) and PostgreSQL
/// (<c>to_tsvector('simple', ...)</c>) keep each one as one token: the analysis is Sift's, the
/// index and the ranking are the database's. docs/benchmarks.md ("Lexical analysis") has the
/// comparison that chose this over FTS5's own tokenizers, SmartCn and PostgreSQL's parser or pg_trgm.
/// </summary>
public static class LexicalAnalyzer
{
    /// <summary>The most terms a query contributes: a long pasted paragraph still makes a bounded query.</summary>
    public const int MaxQueryTerms = 256;

    private const LuceneVersion Version = LuceneVersion.LUCENE_48;

    private const WordDelimiterFlags IdentifierFlags = WordDelimiterFlags.GENERATE_WORD_PARTS | WordDelimiterFlags.GENERATE_NUMBER_PARTS
        | WordDelimiterFlags.CATENATE_ALL | WordDelimiterFlags.SPLIT_ON_CASE_CHANGE | WordDelimiterFlags.SPLIT_ON_NUMERICS
        | WordDelimiterFlags.STEM_ENGLISH_POSSESSIVE;

    private const CJKScript BigramScripts = CJKScript.HAN | CJKScript.HIRAGANA | CJKScript.KATAKANA | CJKScript.HANGUL;

    // Lucene analyzers are thread-safe: each thread reuses its own token stream.
    private static readonly Analyzer Documents = new Chain(outputUnigrams: true);
    private static readonly Analyzer Queries = new Chain(outputUnigrams: false);

    /// <summary>The terms a document (or chunk) is indexed under, in order, repeats kept (they weigh in BM25).</summary>
    public static IReadOnlyList<string> DocumentTerms(string text) => Analyze(Documents, text);

    /// <summary>A query's distinct terms (bigrams only for CJK runs of two or more characters), at most <see cref="MaxQueryTerms"/>.</summary>
    public static IReadOnlyList<string> QueryTerms(string text) => Analyze(Queries, text).Distinct(StringComparer.Ordinal).Take(MaxQueryTerms).ToArray();

    /// <summary>A document's terms joined by spaces: the text the database indexes.</summary>
    public static string DocumentIndexText(string text) => string.Join(' ', DocumentTerms(text));

    private static List<string> Analyze(Analyzer analyzer, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var terms = new List<string>();
        using var stream = analyzer.GetTokenStream("text", text);
        var term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken())
        {
            terms.Add(term.ToString());
        }
        stream.End();
        return terms;
    }

    private sealed class Chain(bool outputUnigrams) : Analyzer
    {
        protected override TokenStreamComponents CreateComponents(string fieldName, TextReader reader)
        {
            var source = new StandardTokenizer(Version, reader);
            TokenStream stream = new CJKWidthFilter(source);
            // Split before lower-casing: case changes mark the parts of camelCase identifiers.
            stream = new WordDelimiterFilter(Version, stream, IdentifierFlags, protWords: null);
            stream = new LowerCaseFilter(Version, stream);
            stream = new CJKBigramFilter(stream, BigramScripts, outputUnigrams);
            return new TokenStreamComponents(source, stream);
        }
    }
}
