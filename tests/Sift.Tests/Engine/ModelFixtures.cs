using Sift.Engine;

namespace Sift.Tests.Engine;

/// <summary>The fixture models, loaded once per test run and shared by the engine tests.</summary>
internal static class ModelFixtures
{
    public static readonly Lazy<Embedder> Embedder = new(() => Sift.Engine.Embedder.Load(new ModelOptions { Model = Fixtures.EmbeddingModel }));

    public static readonly Lazy<Reranker> Reranker = new(() => Sift.Engine.Reranker.Load(new ModelOptions { Model = Fixtures.RerankerModel }));
}
