using Sift.Checkpoints;
using Sift.Tests.Support;
using Sift.Tokenization;

namespace Sift.Tests.Server;

/// <summary>
/// An embedding model and a reranker whose embedding row of the token " Hello" holds NaN: every output
/// of an input containing it is NaN at run time (NaN in a layer's weights is refused at load), any other input is fine.
/// </summary>
internal sealed class NaNModels : IDisposable
{
    private readonly TinyQwen3Checkpoint _embedding;
    private readonly TinyQwen3Checkpoint _reranker;

    public NaNModels()
    {
        var corrupt = Tokenizer.Load(Fixtures.EmbeddingModel).Encode(" Hello", addSpecialTokens: false).Single();
        var spec = new TinyQwen3Spec { Hidden = 64, Heads = 4, KeyValueHeads = 2, HeadDim = 32, Intermediate = 128, EmbeddingType = TensorType.F32,
            Edit = (name, values) => { if (name == "embed_tokens.weight") { values[corrupt * 64 + 5] = float.NaN; } } };
        _embedding = TinyQwen3Checkpoint.Create(spec);
        _reranker = TinyQwen3Checkpoint.Create(spec with { Seed = 8 });
    }

    /// <summary>The embedding model's directory.</summary>
    public string EmbeddingModel => _embedding.Directory;

    /// <summary>The reranker's directory.</summary>
    public string RerankerModel => _reranker.Directory;

    public Task<TestServer> StartServerAsync() =>
        TestServer.StartAsync(new Sift.Server.Hosting.ServerOptions { Model = _embedding.Directory, Reranker = _reranker.Directory });

    public void Dispose()
    {
        _embedding.Dispose();
        _reranker.Dispose();
    }
}
