using System.Runtime.InteropServices;

namespace Sift.Kernels;

/// <summary>
/// A growable block of 64-byte-aligned native memory for activations: no GC pinning, no
/// clearing cost, reused across forward passes (it only grows).
/// </summary>
public sealed unsafe class NativeBuffer<T> : IDisposable where T : unmanaged
{
    private T* _pointer;

    /// <summary>Elements the buffer can hold.</summary>
    public long Capacity { get; private set; }

    /// <summary>The first element.</summary>
    public T* Pointer => _pointer;

    /// <summary>Makes room for at least <paramref name="length"/> elements; old contents are not kept.</summary>
    public void EnsureCapacity(long length)
    {
        if (length <= Capacity)
        {
            return;
        }
        // Allocate before freeing: if the allocation throws, the buffer keeps its old block and capacity.
        var grown = (T*)NativeMemory.AlignedAlloc(checked((nuint)(length * sizeof(T))), 64);
        NativeMemory.AlignedFree(_pointer);
        _pointer = grown;
        Capacity = length;
    }

    /// <summary>The first <paramref name="length"/> elements as a span.</summary>
    public Span<T> AsSpan(int length)
    {
        if ((ulong)length > (ulong)Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"the buffer holds {Capacity} elements");
        }
        return new Span<T>(_pointer, length);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        NativeMemory.AlignedFree(_pointer);
        _pointer = null;
        Capacity = 0;
    }
}
