using System.Buffers;
using Sift.Server.Caching;

namespace Sift.Tests.Server;

/// <summary>The bytes of cached values: bit for bit, and another format version reads as a miss.</summary>
public sealed class CacheValueTests
{
    [Fact]
    public void Score_RoundTrips_BitForBit()
    {
        var serializer = new CachedScoreSerializer();
        var value = new CachedScore(BitConverter.Int32BitsToSingle(0x3F7FFFFF), -0f, float.Epsilon, 8191);
        var buffer = new ArrayBufferWriter<byte>();

        serializer.Serialize(value, buffer);
        var read = serializer.Deserialize(new ReadOnlySequence<byte>(buffer.WrittenMemory));

        Assert.Equal(BitConverter.SingleToInt32Bits(value.Score), BitConverter.SingleToInt32Bits(read.Score));
        Assert.Equal(BitConverter.SingleToInt32Bits(value.LogitYes), BitConverter.SingleToInt32Bits(read.LogitYes));
        Assert.Equal(BitConverter.SingleToInt32Bits(value.LogitNo), BitConverter.SingleToInt32Bits(read.LogitNo));
        Assert.Equal(8191, read.TokenCount);
    }

    [Fact]
    public void Embedding_RoundTrips_BitForBit_FromOneOrManySegments()
    {
        var serializer = new CachedEmbeddingSerializer();
        var random = new Random(12);
        var value = new CachedEmbedding(Enumerable.Range(0, 1024).Select(_ => (float)random.NextDouble() - 0.5f).ToArray(), 77);
        var buffer = new ArrayBufferWriter<byte>();
        serializer.Serialize(value, buffer);
        var bytes = buffer.WrittenMemory;

        var whole = serializer.Deserialize(new ReadOnlySequence<byte>(bytes));
        var split = serializer.Deserialize(Split(bytes, 1000));

        Assert.Equal(value.Vector.Select(BitConverter.SingleToInt32Bits), whole.Vector.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(value.Vector.Select(BitConverter.SingleToInt32Bits), split.Vector.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(77, whole.TokenCount);
    }

    [Fact]
    public void BytesOfAnotherVersionOrLength_ReadAsNull()
    {
        var scores = new CachedScoreSerializer();
        var embeddings = new CachedEmbeddingSerializer();
        var buffer = new ArrayBufferWriter<byte>();
        scores.Serialize(new CachedScore(0.5f, 1, -1, 10), buffer);
        var stale = buffer.WrittenSpan.ToArray();
        stale[0] = CacheKey.FormatVersion + 1;

        Assert.Null(scores.Deserialize(new ReadOnlySequence<byte>(stale)));
        Assert.Null(scores.Deserialize(new ReadOnlySequence<byte>(buffer.WrittenMemory[..^1])));
        Assert.Null(embeddings.Deserialize(new ReadOnlySequence<byte>(stale)));
        Assert.Null(embeddings.Deserialize(new ReadOnlySequence<byte>(new byte[] { CacheKey.FormatVersion, 0, 0 })));
    }

    [Fact]
    public void Keys_AreHashesThatNameTheVersionAndKind_NeverTheText()
    {
        using var first = new CacheKey("rerank");
        using var second = new CacheKey("rerank");
        var key = first.Add("model").Add("secret query").Add(3).ToString();
        // Length-prefixed parts: moving a character from one part to the next is another key.
        var shifted = second.Add("model").Add("secret quer").Add("y").ToString();

        Assert.Matches($"^sift:v{CacheKey.FormatVersion}:rerank:[0-9a-f]{{64}}$", key);
        Assert.DoesNotContain("secret", key);
        Assert.NotEqual(key, shifted);
    }

    private static ReadOnlySequence<byte> Split(ReadOnlyMemory<byte> bytes, int at)
    {
        var first = new Segment(bytes[..at], 0);
        var last = first.Append(bytes[at..]);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
