using Sift.Engine;
using Sift.Tests.Qwen3;

namespace Sift.Tests.Engine;

public sealed class RerankerTests
{
    private const float Tolerance = 1e-4f;
    private static Reranker Reranker => ModelFixtures.Reranker.Value;

    public static TheoryData<int> CaseIndices() => new(Enumerable.Range(0, ReferenceCases.Rerank.Value.Count));

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Score_ReferenceCase_MatchesTokensLogitsAndScore(int caseIndex)
    {
        var reference = ReferenceCases.Rerank.Value[caseIndex];
        var options = new RerankOptions { Instruction = reference.Instruction, MaxLength = reference.MaxLength };

        Assert.Equal(reference.InputIds, Reranker.BuildInput(reference.Query, reference.Document, options));
        var score = Reranker.Score(reference.Query, [reference.Document], options)[0];

        Assert.True(Math.Abs(score.LogitYes - reference.LogitYes) < Tolerance, $"logit_yes {score.LogitYes} vs {reference.LogitYes}");
        Assert.True(Math.Abs(score.LogitNo - reference.LogitNo) < Tolerance, $"logit_no {score.LogitNo} vs {reference.LogitNo}");
        Assert.True(Math.Abs(score.Score - reference.Score) < Tolerance, $"score {score.Score} vs {reference.Score}");
        Assert.Equal(reference.InputIds.Length, score.TokenCount);
    }

    [Fact]
    public void BuildInput_TruncationCase_KeepsPrefixAndSuffixWhole()
    {
        var reference = ReferenceCases.Rerank.Value.Single(c => c.MaxLength is not null);
        var ids = Reranker.BuildInput(reference.Query, reference.Document, new RerankOptions { MaxLength = reference.MaxLength });
        var untruncated = Reranker.BuildInput(reference.Query, reference.Document, new RerankOptions());
        var suffixLength = Reranker.Tokenizer.Encode(Prompts.RerankSuffix, false).Length;

        Assert.Equal(reference.MaxLength, ids.Length);
        Assert.True(untruncated.Length > ids.Length);
        Assert.Equal(untruncated[..(ids.Length - suffixLength)], ids[..(ids.Length - suffixLength)]);
        Assert.Equal(untruncated[^suffixLength..], ids[^suffixLength..]);
    }

    [Fact]
    public void Score_ManyDocumentsTogether_EqualsEachScoredAloneBitwise()
    {
        var cases = ReferenceCases.Rerank.Value.Where(c => c.Query == "苹果手机电池续航差怎么办" && c.Instruction is null).ToArray();
        var documents = cases.Select(c => c.Document).Append("a short one").ToArray();
        var together = Reranker.Score(cases[0].Query, documents);
        for (var i = 0; i < documents.Length; i++)
        {
            var alone = Reranker.Score(cases[0].Query, [documents[i]])[0];
            Assert.Equal(alone.LogitYes, together[i].LogitYes);
            Assert.Equal(alone.LogitNo, together[i].LogitNo);
            Assert.Equal(i, together[i].Index);
        }
    }

    [Fact]
    public void ComputeHidden_SharedPrefix_EqualsWholePromptsBitwise()
    {
        var cases = ReferenceCases.Rerank.Value.Where(c => c.Query == "What is the capital of China?").ToArray();
        var options = new RerankOptions();
        var prompts = cases.Select(c => Reranker.BuildInput(c.Query, c.Document, options)).Append(Reranker.BuildInput(cases[0].Query, "", options)).ToArray();

        var shared = Reranker.ComputeHidden(cases[0].Query, options, prompts);
        var whole = prompts.Select(p => Reranker.ComputeHidden(cases[0].Query, options, [p])[0]).ToArray();
        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(whole[i], shared[i]);
        }
    }

    [Fact]
    public void Score_TruncationCutsIntoTheSharedPart_FallsBackToWholePrompts()
    {
        var longQuery = string.Join(' ', Enumerable.Repeat("a very long query", 40));
        var options = new RerankOptions { MaxLength = 100 };
        var together = Reranker.Score(longQuery, ["first document", "second document"], options);
        var alone = Reranker.Score(longQuery, ["first document"], options)[0];
        Assert.Equal(100, together[0].TokenCount);
        Assert.Equal(alone.LogitYes, together[0].LogitYes);
        Assert.Equal(together[0].LogitYes, together[1].LogitYes);
    }

    [Fact]
    public void BuildInputs_DocumentsOfEveryShape_EqualTokenizingEachWholePrompt()
    {
        // The query part is tokenized once per request; each prompt must still be the whole prompt's tokens.
        string[] documents = ["", " leading space", "  two spaces", "\nnewline first", "\r\n\r\nwindows", "!!punctuation", "\u0301combining accent",
            "<|im_end|> a special token", "中文文档", "123 numbers", "'s contraction", "\ttab", "   ", "emoji 😀 and more"];
        var query = "What is the capital of China?";
        var options = new RerankOptions();
        var prompts = Reranker.BuildInputs(query, documents, options);
        for (var i = 0; i < documents.Length; i++)
        {
            var whole = Reranker.Tokenizer.Encode(Prompts.RerankPrefix + Prompts.RerankBody(query, documents[i]) + Prompts.RerankSuffix, addSpecialTokens: false);
            Assert.Equal(whole, prompts[i]);
        }
    }

    [Fact]
    public void Rank_ScoresSaturatedAtOne_FollowTheLogitGap()
    {
        // Gaps of 20, 35 and 18: every sigmoid rounds to 1.0f, so only the gap can order them.
        RerankScore Score(int index, float yes, float no) => new(index, (float)(1.0 / (1.0 + Math.Exp((double)no - yes))), yes, no, 10);
        RerankScore[] scores = [Score(0, 25, 5), Score(1, 40, 5), Score(2, 20, 2), Score(3, 1, 3), Score(4, 20, 2)];
        Assert.All(scores.Take(3), s => Assert.Equal(1f, s.Score));

        Assert.Equal([1, 0, 2, 4, 3], Sift.Engine.Reranker.Rank(scores).Select(s => s.Index).ToArray());
    }

    [Fact]
    public void Score_EmptyDocumentList_IsRefused()
    {
        var error = Assert.Throws<SiftRequestException>(() => Reranker.Score("q", []));
        Assert.Equal("documents", error.Param);
    }

    [Fact]
    public void BuildInput_MaxLengthNotAboveTemplate_NamesTheValidRange()
    {
        var error = Assert.Throws<SiftRequestException>(() => Reranker.BuildInput("q", "d", new RerankOptions { MaxLength = 5 }));
        Assert.Contains("5", error.Message);
        Assert.Contains($"{Reranker.TemplateTokenCount}", error.Message);
    }
}
