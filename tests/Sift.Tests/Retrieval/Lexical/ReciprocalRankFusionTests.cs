using Sift.Retrieval.Lexical;

namespace Sift.Tests.Retrieval.Lexical;

public sealed class ReciprocalRankFusionTests
{
    [Fact]
    public void Fuse_SumsOneOverKPlusRank_AndSaysWhichStageFoundEachItem()
    {
        var fused = ReciprocalRankFusion.Fuse(["a", "b", "c"], ["c", "d"]);

        // c: 1/(60+3) + 1/(60+1); a: 1/61; d: 1/62; b: 1/62 (tie with d: both best at rank 2; vector order first).
        Assert.Equal(["c", "a", "b", "d"], fused.Select(f => f.Key));
        Assert.Equal(1.0 / 63 + 1.0 / 61, fused[0].Score, 15);
        Assert.Equal("both", fused[0].Stage);
        Assert.Equal((3, 1), (fused[0].VectorRank!.Value, fused[0].LexicalRank!.Value));
        Assert.Equal("vector", fused[1].Stage);
        Assert.Equal("lexical", fused[3].Stage);
        Assert.Equal(1.0 / 62, fused[3].Score, 15);
    }

    [Fact]
    public void Fuse_KDampsTheFirstRanks()
    {
        // With k = 0 the first rank of one list (1/1) beats second ranks in both (1/2 + 1/2 = 1): a tie broken by the better single rank.
        var fused = ReciprocalRankFusion.Fuse(["x", "y"], ["z", "y"], k: 0);
        Assert.Equal(1.0, fused.Single(f => f.Key == "y").Score, 15);
        Assert.Equal(["x", "z", "y"], fused.Select(f => f.Key));
    }

    [Fact]
    public void Fuse_EmptyLexicalRanking_KeepsTheVectorOrder()
    {
        Assert.Equal([1, 2, 3], ReciprocalRankFusion.Fuse([1, 2, 3], []).Select(f => f.Key));
    }
}
