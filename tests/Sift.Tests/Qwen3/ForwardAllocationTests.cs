using Sift.Checkpoints;
using Sift.Kernels;
using Sift.Qwen3;
using Sift.Tests.Support;

namespace Sift.Tests.Qwen3;

/// <summary>
/// A warm forward pass allocates nothing per layer, on any thread. Counted process-wide, so the
/// class runs alone (no other test allocates meanwhile).
/// </summary>
[Collection(nameof(ForwardAllocationTests))]
[CollectionDefinition(nameof(ForwardAllocationTests), DisableParallelization = true)]
public sealed class ForwardAllocationTests
{
    /// <summary>Warm passes per measurement; the smallest count wins, so a stray allocation elsewhere in the process does not count.</summary>
    private const int Repeats = 5;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Forward_SteadyState_AllocatesNothingPerLayerOnAnyThread(int threads)
    {
        var batch = PackedBatch.Create([Enumerable.Range(1, 300).ToArray(), Enumerable.Range(7, 40).ToArray()]);
        using var pool = new WorkerPool(threads);
        var oneLayer = AllocatedBytesOfWarmForward(layers: 1, batch, pool);
        var sixLayers = AllocatedBytesOfWarmForward(layers: 6, batch, pool);
        // Five more layers of GEMMs, attention and norms (run on the pool's threads as well as the
        // caller's), and not a byte more anywhere in the process.
        Assert.Equal(oneLayer, sixLayers);
        Assert.True(oneLayer < 64 * 1024, $"a warm forward allocated {oneLayer} bytes");
    }

    private static long AllocatedBytesOfWarmForward(int layers, PackedBatch batch, WorkerPool pool)
    {
        using var checkpoint = TinyQwen3Checkpoint.Create(new TinyQwen3Spec { Layers = layers, Hidden = 64, Heads = 4, KeyValueHeads = 2, HeadDim = 32, Intermediate = 128 });
        using var model = Qwen3Model.Load(Qwen3Config.Load(checkpoint.Directory), SafetensorsCheckpoint.Open(checkpoint.Directory), pool);
        var pooled = new float[batch.SequenceCount * model.Config.HiddenSize];
        model.Forward(batch, pooled);
        var least = long.MaxValue;
        for (var i = 0; i < Repeats; i++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            model.Forward(batch, pooled);
            least = Math.Min(least, GC.GetTotalAllocatedBytes(precise: true) - before);
        }
        return least;
    }
}
