using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Caching.Hybrid;

namespace Sift.Server.Caching;

/// <summary>
/// Bytes of a <see cref="CachedScore"/>: the format version, the three floats bit for bit, the
/// token count, little-endian. Bytes of another version or length read as null, a miss.
/// </summary>
internal sealed class CachedScoreSerializer : IHybridCacheSerializer<CachedScore>
{
    private const int Length = 1 + 3 * sizeof(float) + sizeof(int);

    public CachedScore Deserialize(ReadOnlySequence<byte> source)
    {
        Span<byte> bytes = stackalloc byte[Length];
        if (source.Length != Length)
        {
            return null!;
        }
        source.CopyTo(bytes);
        if (bytes[0] != CacheKey.FormatVersion)
        {
            return null!;
        }
        return new CachedScore(BinaryPrimitives.ReadSingleLittleEndian(bytes[1..]), BinaryPrimitives.ReadSingleLittleEndian(bytes[5..]),
            BinaryPrimitives.ReadSingleLittleEndian(bytes[9..]), BinaryPrimitives.ReadInt32LittleEndian(bytes[13..]));
    }

    public void Serialize(CachedScore value, IBufferWriter<byte> target)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(target);
        var span = target.GetSpan(Length)[..Length];
        span[0] = CacheKey.FormatVersion;
        BinaryPrimitives.WriteSingleLittleEndian(span[1..], value.Score);
        BinaryPrimitives.WriteSingleLittleEndian(span[5..], value.LogitYes);
        BinaryPrimitives.WriteSingleLittleEndian(span[9..], value.LogitNo);
        BinaryPrimitives.WriteInt32LittleEndian(span[13..], value.TokenCount);
        target.Advance(Length);
    }
}
