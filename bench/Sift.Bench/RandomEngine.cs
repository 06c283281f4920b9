using Sift.Engine;
using Sift.Kernels;
using Sift.Qwen3;
using Sift.Tokenization;

namespace Sift.Bench;

/// <summary>
/// An embedder and a reranker of a real shape (--shape, --precision) sharing one random-weight
/// decoder built in memory, with the real Qwen3 tokenizer: the retrieval workloads' models.
/// </summary>
internal sealed class RandomEngine : IDisposable
{
    private readonly WorkerPool _pool;
    private readonly RandomCheckpoint _checkpoint;
    private readonly Qwen3Model _model;

    private RandomEngine(WorkerPool pool, RandomCheckpoint checkpoint, Qwen3Model model, Tokenizer tokenizer, LoadedModel loaded)
    {
        _pool = pool;
        _checkpoint = checkpoint;
        _model = model;
        Tokenizer = tokenizer;
        Embedder = new Embedder(loaded);
        Reranker = new Reranker(loaded);
    }

    public Tokenizer Tokenizer { get; }

    public Embedder Embedder { get; }

    public Reranker Reranker { get; }

    public static RandomEngine Create(BenchOptions options)
    {
        var config = ModelShapes.Get(options.Shape);
        var tokenizer = Tokenizer.Load(options.Model ?? BenchPaths.Tokenizer);
        var pool = new WorkerPool(options.Threads);
        var checkpoint = new RandomCheckpoint(config);
        WeightFormat? format = options.Precision == "int8" ? WeightFormat.Int8 : null;
        var model = Qwen3Model.Load(config, checkpoint, pool, format);
        var loaded = LoadedModel.Create(options.Shape, model, tokenizer, config.MaxPositionEmbeddings, options.MaxBatchTokens);
        return new RandomEngine(pool, checkpoint, model, tokenizer, loaded);
    }

    public void Dispose()
    {
        _model.Dispose();
        _checkpoint.Dispose();
        _pool.Dispose();
    }
}
