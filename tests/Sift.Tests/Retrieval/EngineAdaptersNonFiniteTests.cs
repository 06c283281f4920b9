using Sift.Engine;
using Sift.Retrieval;

namespace Sift.Tests.Retrieval;

/// <summary>
/// The CLI's in-process embedder and reranker (EngineTextEmbedder, EnginePassageReranker) refuse NaN
/// or infinite outputs as the server does, naming the input and the cause, instead of storing or
/// ranking by them.
/// </summary>
public sealed class EngineAdaptersNonFiniteTests
{
    [Fact]
    public async Task NaNOutputs_AreNonFiniteOutputExceptions_NamingTheInputAndTheCorruptRow()
    {
        using var models = new Sift.Tests.Server.NaNModels();
        using var embedder = Embedder.Load(new ModelOptions { Model = models.EmbeddingModel });
        using var reranker = Reranker.Load(new ModelOptions { Model = models.RerankerModel });
        var embeddings = new EngineTextEmbedder(embedder);
        var scores = new EnginePassageReranker(reranker);
        var cancel = TestContext.Current.CancellationToken;

        var fine = await embeddings.EmbedAsync([EmbeddingInput.Document("Mountains at dawn.")], 32, cancel);
        var badEmbedding = await Assert.ThrowsAsync<NonFiniteOutputException>(() =>
            embeddings.EmbedAsync([EmbeddingInput.Document("Mountains at dawn."), EmbeddingInput.Document("Say Hello to the world.")], 32, cancel));
        var fineScores = await scores.ScoreAsync("mountains", ["Mountains at dawn.", "A river."], null, cancel);
        var badScores = await Assert.ThrowsAsync<NonFiniteOutputException>(() =>
            scores.ScoreAsync("mountains", ["Mountains at dawn.", "Say Hello to the world."], null, cancel));

        Assert.All(fine.Vectors[0], v => Assert.True(float.IsFinite(v)));
        Assert.Equal(1, badEmbedding.Input);
        Assert.Contains("embedding row of token", badEmbedding.Message, StringComparison.Ordinal);
        Assert.All(fineScores.Scores, s => Assert.True(float.IsFinite(s)));
        Assert.Equal(1, badScores.Input);
        Assert.Contains("embedding row of token", badScores.Explanation, StringComparison.Ordinal);
    }
}
