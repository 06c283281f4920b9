using System.Buffers;

namespace Sift.Bench;

/// <summary>Native memory as a Memory&lt;byte&gt;, so writing a checkpoint does not copy it onto the managed heap.</summary>
internal sealed unsafe class NativeMemoryManager(byte* pointer, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(pointer, length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
