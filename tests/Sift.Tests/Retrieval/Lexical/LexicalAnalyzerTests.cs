using Sift.Retrieval.Lexical;

namespace Sift.Tests.Retrieval.Lexical;

public sealed class LexicalAnalyzerTests
{
    [Fact]
    public void Chinese_QueriesAreBigrams_DocumentsIndexBigramsAndSingleCharacters()
    {
        Assert.Equal(["北京", "京大", "大学"], LexicalAnalyzer.QueryTerms("北京大学"));
        Assert.Equal(["北", "北京", "京", "京大", "大", "大学", "学"], LexicalAnalyzer.DocumentTerms("北京大学"));
        Assert.Equal(["书"], LexicalAnalyzer.QueryTerms("书"));
    }

    [Fact]
    public void Japanese_KanjiAndKanaRunsAreBigrams()
    {
        Assert.Equal(["富士", "士山", "山の", "の標", "標高"], LexicalAnalyzer.QueryTerms("富士山の標高"));
        Assert.Equal(["メー", "ート", "トル"], LexicalAnalyzer.QueryTerms("メートル"));
    }

    [Fact]
    public void FullWidthLatinIsFolded()
    {
        Assert.Equal(["iphone"], LexicalAnalyzer.QueryTerms("ｉｐｈｏｎｅ"));
    }

    [Fact]
    public void CodeIdentifiers_SplitIntoPartsAndKeptJoined()
    {
        Assert.Equal(["get", "getuserbyid", "user", "by", "id"], LexicalAnalyzer.QueryTerms("getUserById"));
        Assert.Equal(["parse", "parseconfig", "config"], LexicalAnalyzer.QueryTerms("parse_config"));
        Assert.Equal(["e", "e4321", "4321"], LexicalAnalyzer.QueryTerms("E4321"));
    }

    [Fact]
    public void EnglishIsLowerCasedWithoutStemmingOrStopWords()
    {
        Assert.Equal(["the", "printers", "are", "running"], LexicalAnalyzer.QueryTerms("The printers are RUNNING."));
    }

    [Fact]
    public void EveryTermIsLettersAndDigitsOnly_SoDatabaseTokenizersKeepItWhole()
    {
        var text = "def parse_config(path): return yaml.safe_load(open(path)) # v2.0 user@example.com C++ 北京-上海 東京タワー 3.14";
        foreach (var term in LexicalAnalyzer.DocumentTerms(text))
        {
            Assert.True(term.All(char.IsLetterOrDigit), $"term '{term}' has a character that is not a letter or digit");
        }
    }

    [Fact]
    public void Query_DistinctTermsCappedAtTheLimit()
    {
        var words = string.Join(' ', Enumerable.Range(0, 1000).Select(i => $"w{i}"));
        var terms = LexicalAnalyzer.QueryTerms(words + " " + words);
        Assert.Equal(LexicalAnalyzer.MaxQueryTerms, terms.Count);
        Assert.Equal(terms.Count, terms.Distinct().Count());
    }

    [Fact]
    public void EmptyOrPunctuationOnlyText_HasNoTerms()
    {
        Assert.Empty(LexicalAnalyzer.QueryTerms(""));
        Assert.Empty(LexicalAnalyzer.QueryTerms("。、！？ -- ..."));
    }
}
