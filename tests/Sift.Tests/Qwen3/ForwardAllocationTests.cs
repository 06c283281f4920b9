using Sift.Checkpoints;
using Sift.Qwen3;
using Sift.Tests.Support;

namespace Sift.Tests.Qwen3;

public sealed class ForwardAllocationTests
{
    [Fact]
    public void Forward_SteadyState_AllocatesNothingPerLayer()
    {
        var batch = PackedBatch.Create([Enumerable.Range(1, 300).ToArray(), Enumerable.Range(7, 40).ToArray()]);
        var oneLayer = AllocatedBytesOfSecondForward(layers: 1, batch);
        var sixLayers = AllocatedBytesOfSecondForward(layers: 6, batch);
        // Five more layers of GEMMs, attention and norms, and not a byte more on the calling thread.
        Assert.Equal(oneLayer, sixLayers);
        Assert.True(oneLayer < 64 * 1024, $"a warm forward allocated {oneLayer} bytes");
    }

    private static long AllocatedBytesOfSecondForward(int layers, PackedBatch batch)
    {
        using var checkpoint = TinyQwen3Checkpoint.Create(new TinyQwen3Spec { Layers = layers, Hidden = 64, Heads = 4, KeyValueHeads = 2, HeadDim = 32, Intermediate = 128 });
        using var model = Qwen3Model.Load(Qwen3Config.Load(checkpoint.Directory), SafetensorsCheckpoint.Open(checkpoint.Directory));
        var pooled = new float[batch.SequenceCount * model.Config.HiddenSize];
        model.Forward(batch, pooled);
        var before = GC.GetAllocatedBytesForCurrentThread();
        model.Forward(batch, pooled);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
