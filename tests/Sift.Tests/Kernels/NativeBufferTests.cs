using Sift.Kernels;

namespace Sift.Tests.Kernels;

public sealed unsafe class NativeBufferTests
{
    /// <summary>Far more than any machine can map: the allocation fails.</summary>
    private const long Impossible = 1L << 48;

    [Fact]
    public void EnsureCapacity_AllocationFails_KeepsTheOldBlockAndItsContents()
    {
        using var buffer = new NativeBuffer<float>();
        buffer.EnsureCapacity(1024);
        var pointer = buffer.Pointer;
        Fill(buffer.AsSpan(1024));

        Assert.Throws<OutOfMemoryException>(() => buffer.EnsureCapacity(Impossible));

        Assert.Equal(1024, buffer.Capacity);
        Assert.True(pointer == buffer.Pointer, "the buffer moved although the allocation failed");
        AssertFilled(buffer.AsSpan(1024));
    }

    [Fact]
    public void Scratch_AllocationFails_KeepsTheOldBlockAndItsContents()
    {
        using var pool = new WorkerPool(1);
        var scratch = pool.Scratch(0, 4096);
        Fill(new Span<float>(scratch, 1024));

        Assert.Throws<OutOfMemoryException>(() => pool.Scratch(0, Impossible * sizeof(float)));

        Assert.True(scratch == pool.Scratch(0, 4096), "the scratch moved although the allocation failed");
        AssertFilled(new Span<float>(scratch, 1024));
    }

    private static void Fill(Span<float> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = i + 0.5f;
        }
    }

    private static void AssertFilled(Span<float> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal(i + 0.5f, values[i]);
        }
    }
}
