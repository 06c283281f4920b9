using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Sift.Server.Caching;

/// <summary>
/// Builds cache keys: a SHA-256 over length-prefixed parts, so no raw text reaches the cache (or
/// Redis) and no two different part lists share a key. The prefix carries the format version: a
/// change to what is stored bumps it, and old entries are never read again.
/// </summary>
internal sealed class CacheKey : IDisposable
{
    /// <summary>Bumped whenever a cached value's layout or meaning changes.</summary>
    public const int FormatVersion = 1;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly string _kind;

    /// <param name="kind">What is cached: "embedding", "rerank", ... (part of the prefix, for reading Redis by eye).</param>
    public CacheKey(string kind)
    {
        _kind = kind;
        Add(kind);
    }

    public CacheKey Add(string? value)
    {
        if (value is null)
        {
            AddLength(-1);
            return this;
        }
        var bytes = Encoding.UTF8.GetBytes(value);
        AddLength(bytes.Length);
        _hash.AppendData(bytes);
        return this;
    }

    public CacheKey Add(long value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        _hash.AppendData(bytes);
        return this;
    }

    public CacheKey Add(bool value) => Add(value ? 1 : 0);

    /// <summary>"sift:v1:rerank:" and the hash in hex.</summary>
    public override string ToString()
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        _hash.GetCurrentHash(digest);
        return $"sift:v{FormatVersion}:{_kind}:{Convert.ToHexStringLower(digest)}";
    }

    public void Dispose() => _hash.Dispose();

    private void AddLength(int length)
    {
        Span<byte> bytes = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, length);
        _hash.AppendData(bytes);
    }
}
