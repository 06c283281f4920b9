using System.Buffers.Binary;
using System.Text;
using Sift.Checkpoints;
using Sift.Checkpoints.Gguf;

namespace Sift.Tests.Checkpoints;

/// <summary>Malformed GGUF files are clear errors that name the fault, never crashes or huge allocations.</summary>
public sealed class GgufFileTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("sift-gguf-bad-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void Open_ValidFile_ReadsMetadataAndTensors()
    {
        var path = Write(new GgufBuilder().String("general.architecture", "qwen3").UInt32("x.count", 7).Tensor("w", [4, 2], 0, 0).Data(new byte[32]));
        using var file = GgufFile.Open(path);
        Assert.Equal(3u, file.Version);
        Assert.Equal("qwen3", file.Metadata["general.architecture"].Value);
        Assert.Equal(7, file.Metadata["x.count"].AsInt64());
        Assert.Equal([2L, 4L], file.Tensors["w"].Shape);
        Assert.Equal(TensorType.F32, file.Tensors["w"].Type);
    }

    [Fact]
    public void Open_WrongMagic_SaysSo()
    {
        var path = Write(new GgufBuilder().Magic("GGML"));
        Assert.Contains("not a GGUF file (wrong magic", Error(path));
    }

    [Fact]
    public void Open_UnsupportedVersion_NamesIt()
    {
        Assert.Contains("GGUF version 9 is not supported", Error(Write(new GgufBuilder().Version(9))));
    }

    [Fact]
    public void Open_Truncated_SaysTruncated()
    {
        var bytes = new GgufBuilder().String("general.architecture", "qwen3").Tensor("w", [8], 0, 0).Data(new byte[32]).Build();
        var path = Path.Combine(_directory.FullName, "cut.gguf");
        File.WriteAllBytes(path, bytes[..(bytes.Length - 20)]);
        Assert.Contains("truncated", Error(path));
        File.WriteAllBytes(path, bytes[..30]);
        Assert.Contains("truncated", Error(path));
    }

    [Fact]
    public void Open_AbsurdTensorCount_IsRefusedWithoutAllocating()
    {
        Assert.Contains("tensors cannot fit", Error(Write(new GgufBuilder().Counts(tensors: ulong.MaxValue / 2, metadata: 0))));
    }

    [Fact]
    public void Open_AbsurdMetadataCount_IsRefused()
    {
        Assert.Contains("metadata entries cannot fit", Error(Write(new GgufBuilder().Counts(tensors: 0, metadata: 1UL << 40))));
    }

    [Fact]
    public void Open_AbsurdStringLength_IsRefused()
    {
        var builder = new GgufBuilder().RawMetadata(b =>
        {
            b.Write(BitConverter.GetBytes(5UL));
            b.Write("a.key"u8);
            b.Write(BitConverter.GetBytes((uint)GgufValueType.String));
            b.Write(BitConverter.GetBytes(1UL << 50));
        });
        Assert.Contains("claims 1125899906842624 bytes", Error(Write(builder)));
    }

    [Fact]
    public void Open_AbsurdArrayLength_IsRefused()
    {
        var builder = new GgufBuilder().RawMetadata(b =>
        {
            b.Write(BitConverter.GetBytes(5UL));
            b.Write("a.arr"u8);
            b.Write(BitConverter.GetBytes((uint)GgufValueType.Array));
            b.Write(BitConverter.GetBytes((uint)GgufValueType.Int32));
            b.Write(BitConverter.GetBytes(1UL << 40));
        });
        Assert.Contains("array 'a.arr' claims 1099511627776 elements", Error(Write(builder)));
    }

    [Fact]
    public void Open_OffsetOutOfRange_NamesTheTensor()
    {
        var path = Write(new GgufBuilder().Tensor("w", [8], 0, 4096).Data(new byte[32]));
        var error = Error(path);
        Assert.Contains("tensor 'w'", error);
        Assert.Contains("lies outside", error);
    }

    [Fact]
    public void Open_UnalignedOffset_IsRefused()
    {
        Assert.Contains("offset 3 is not aligned to 32", Error(Write(new GgufBuilder().Tensor("w", [2], 0, 3).Data(new byte[64]))));
    }

    [Fact]
    public void Open_TooManyDimensions_IsRefused()
    {
        Assert.Contains("has 5 dimensions", Error(Write(new GgufBuilder().Tensor("w", [1, 1, 1, 1, 1], 0, 0).Data(new byte[32]))));
    }

    [Fact]
    public void Open_UnsupportedTensorType_NamesIt()
    {
        Assert.Contains("'w' is Q4_0, which Sift does not read", Error(Write(new GgufBuilder().Tensor("w", [32], 2, 0).Data(new byte[32]))));
    }

    [Fact]
    public void Open_RowsNotWholeBlocks_AreRefused()
    {
        Assert.Contains("not a multiple of Q8_0's 32-value blocks", Error(Write(new GgufBuilder().Tensor("w", [40], 8, 0).Data(new byte[64]))));
    }

    [Fact]
    public void Open_ShapeWhoseByteLengthOverflows_IsRefused()
    {
        // (2^31 − 1)² F64 values: 2^65 bytes, which wraps to a negative length without a checked multiply.
        var error = Error(Write(new GgufBuilder().Tensor("w", [int.MaxValue, int.MaxValue], 28, 0).Data(new byte[32])));
        Assert.Contains("tensor 'w' has an absurd shape", error);
    }

    [Fact]
    public void Open_LargeArrayOfBytes_AllocatesAboutItsSizeNotAnObjectPerElement()
    {
        var values = new byte[4 << 20];
        new Random(3).NextBytes(values);
        var path = Write(new GgufBuilder().ByteArray("big.bytes", values));
        var before = GC.GetAllocatedBytesForCurrentThread();
        using var file = GgufFile.Open(path);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(values, (byte[])file.Metadata["big.bytes"].Value);
        Assert.True(allocated < 3 * values.Length, $"opening a file with a {values.Length}-byte array allocated {allocated} bytes");
    }

    [Fact]
    public void OpenCheckpoint_WrongArchitecture_NamesIt()
    {
        var path = Write(new GgufBuilder().String("general.architecture", "llama"));
        var error = Assert.Throws<CheckpointException>(() => GgufCheckpoint.Open(path));
        Assert.Contains("general.architecture is 'llama'", error.Message);
    }

    [Fact]
    public void OpenCheckpoint_MissingHyperparameter_NamesTheKey()
    {
        var path = Write(new GgufBuilder().String("general.architecture", "qwen3"));
        var error = Assert.Throws<CheckpointException>(() => GgufCheckpoint.Open(path));
        Assert.Contains("metadata 'qwen3.", error.Message);
    }

    private string Error(string path) => Assert.Throws<CheckpointException>(() => GgufFile.Open(path)).Message;

    private string Write(GgufBuilder builder)
    {
        var path = Path.Combine(_directory.FullName, $"{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(path, builder.Build());
        return path;
    }

    /// <summary>Builds GGUF bytes by hand, including wrong ones.</summary>
    private sealed class GgufBuilder
    {
        private readonly List<Action<BinaryWriter>> _metadata = [];
        private readonly List<(string Name, ulong[] Shape, uint Type, ulong Offset)> _tensors = [];
        private string _magic = "GGUF";
        private uint _version = 3;
        private (ulong Tensors, ulong Metadata)? _counts;
        private byte[] _data = [];

        public GgufBuilder Magic(string magic) { _magic = magic; return this; }

        public GgufBuilder Version(uint version) { _version = version; return this; }

        public GgufBuilder Counts(ulong tensors, ulong metadata) { _counts = (tensors, metadata); return this; }

        public GgufBuilder Data(byte[] data) { _data = data; return this; }

        public GgufBuilder RawMetadata(Action<BinaryWriter> write) { _metadata.Add(write); return this; }

        public GgufBuilder String(string key, string value) => RawMetadata(w =>
        {
            WriteString(w, key);
            w.Write((uint)GgufValueType.String);
            WriteString(w, value);
        });

        public GgufBuilder UInt32(string key, uint value) => RawMetadata(w =>
        {
            WriteString(w, key);
            w.Write((uint)GgufValueType.UInt32);
            w.Write(value);
        });

        public GgufBuilder ByteArray(string key, byte[] values) => RawMetadata(w =>
        {
            WriteString(w, key);
            w.Write((uint)GgufValueType.Array);
            w.Write((uint)GgufValueType.UInt8);
            w.Write((ulong)values.Length);
            w.Write(values);
        });

        /// <summary>A tensor with ggml-order dims (ne), ggml type id and data offset.</summary>
        public GgufBuilder Tensor(string name, ulong[] ne, uint type, ulong offset)
        {
            _tensors.Add((name, ne, type, offset));
            return this;
        }

        public byte[] Build()
        {
            using var stream = new MemoryStream();
            using var writer = new BinaryWriter(stream);
            writer.Write(Encoding.ASCII.GetBytes(_magic));
            writer.Write(_version);
            writer.Write(_counts?.Tensors ?? (ulong)_tensors.Count);
            writer.Write(_counts?.Metadata ?? (ulong)_metadata.Count);
            foreach (var write in _metadata)
            {
                write(writer);
            }
            foreach (var (name, shape, type, offset) in _tensors)
            {
                WriteString(writer, name);
                writer.Write((uint)shape.Length);
                foreach (var dimension in shape)
                {
                    writer.Write(dimension);
                }
                writer.Write(type);
                writer.Write(offset);
            }
            while (stream.Length % 32 != 0)
            {
                writer.Write((byte)0);
            }
            writer.Write(_data);
            writer.Flush();
            return stream.ToArray();
        }

        private static void WriteString(BinaryWriter writer, string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            writer.Write((ulong)bytes.Length);
            writer.Write(bytes);
        }
    }
}
