using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Caching.Hybrid;

namespace Sift.Server.Caching;

/// <summary>
/// Bytes of a <see cref="CachedEmbedding"/>: the format version, the token count, then the floats,
/// little-endian, bit for bit (so a hit answers exactly what the model computed). Bytes of another
/// version or length read as null, a miss, and the fresh value replaces them.
/// </summary>
internal sealed class CachedEmbeddingSerializer : IHybridCacheSerializer<CachedEmbedding>
{
    private const int HeaderBytes = 1 + sizeof(int);

    public CachedEmbedding Deserialize(ReadOnlySequence<byte> source)
    {
        ReadOnlySpan<byte> bytes = source.IsSingleSegment ? source.FirstSpan : source.ToArray();
        if (bytes.Length < HeaderBytes || bytes[0] != CacheKey.FormatVersion || (bytes.Length - HeaderBytes) % sizeof(float) != 0)
        {
            return null!;
        }
        var vector = MemoryMarshal.Cast<byte, float>(bytes[HeaderBytes..]).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            var raw = MemoryMarshal.Cast<float, int>(vector.AsSpan());
            BinaryPrimitives.ReverseEndianness(raw, raw);
        }
        return new CachedEmbedding(vector, BinaryPrimitives.ReadInt32LittleEndian(bytes[1..]));
    }

    public void Serialize(CachedEmbedding value, IBufferWriter<byte> target)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(target);
        var length = HeaderBytes + value.Vector.Length * sizeof(float);
        var span = target.GetSpan(length)[..length];
        span[0] = CacheKey.FormatVersion;
        BinaryPrimitives.WriteInt32LittleEndian(span[1..], value.TokenCount);
        var floats = span[HeaderBytes..];
        MemoryMarshal.AsBytes(value.Vector.AsSpan()).CopyTo(floats);
        if (!BitConverter.IsLittleEndian)
        {
            var raw = MemoryMarshal.Cast<byte, int>(floats);
            BinaryPrimitives.ReverseEndianness(raw, raw);
        }
        target.Advance(length);
    }
}
