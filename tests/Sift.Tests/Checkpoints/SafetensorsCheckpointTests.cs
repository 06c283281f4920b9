using System.Buffers.Binary;
using System.Text;
using Sift.Checkpoints;

namespace Sift.Tests.Checkpoints;

public sealed class SafetensorsCheckpointTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("sift-safetensors-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void Open_ShardedFixture_ReadsEveryTensorOfTheIndex()
    {
        using var checkpoint = SafetensorsCheckpoint.Open(Fixtures.RerankerModel);
        Assert.Contains("model.layers.1.self_attn.v_proj.weight", checkpoint.TensorNames);
        Assert.Contains("lm_head.weight", checkpoint.TensorNames);
        Assert.True(checkpoint.TryGetTensor("model.embed_tokens.weight", out var embedding));
        Assert.Equal(TensorType.BF16, embedding.Type);
        Assert.Equal([151669L, 64L], embedding.Shape);
    }

    [Fact]
    public void Write_ThenOpen_RoundTripsTypesShapesAndBytes()
    {
        var path = Path.Combine(_directory.FullName, "model.safetensors");
        byte[] f32 = [0, 0, 128, 63, 0, 0, 0, 64];
        byte[] bf16 = [128, 63, 0, 64, 64, 64];
        SafetensorsWriter.Write(path, [new("a", TensorType.F32, [2], f32), new("b", TensorType.BF16, [1, 3], bf16)],
            new Dictionary<string, string> { ["format"] = "pt" });
        using var checkpoint = SafetensorsCheckpoint.Open(path);
        Assert.True(checkpoint.TryGetTensor("a", out var a));
        Assert.True(checkpoint.TryGetTensor("b", out var b));
        Assert.Equal(f32, a.Bytes.ToArray());
        Assert.Equal(bf16, b.RowBytes(0).ToArray());
        Assert.Equal([1L, 3L], b.Shape);
    }

    [Fact]
    public void Open_TruncatedData_SaysTruncatedAndNamesTheFile()
    {
        var path = WriteValid();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);
        var error = Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Open_FileShorterThanHeaderLength_SaysTruncated()
    {
        var path = Path.Combine(_directory.FullName, "tiny.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Contains("truncated", Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(path)).Message);
    }

    [Fact]
    public void Open_EmptyFile_SaysTruncated()
    {
        var path = Path.Combine(_directory.FullName, "empty.safetensors");
        File.WriteAllBytes(path, []);
        Assert.Contains("truncated", Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(path)).Message);
    }

    [Fact]
    public void Open_HeaderLengthBeyondFile_IsRefused()
    {
        var path = WriteRaw(long.MaxValue / 2, "{}", []);
        Assert.Contains("header length", Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(path)).Message);
    }

    [Fact]
    public void Open_HeaderNotJson_SaysSo()
    {
        var path = WriteRaw(null, "{\"a\": [", []);
        Assert.Contains("not valid JSON", Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(path)).Message);
    }

    [Fact]
    public void Open_OffsetsOutsideData_NamesTheTensor()
    {
        var path = WriteRaw(null, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]);
        var error = Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Contains("'w'", error.Message);
        Assert.Contains("outside", error.Message);
    }

    [Fact]
    public void Open_ShapeAndLengthDisagree_NamesTheTensorAndBothSizes()
    {
        var path = WriteRaw(null, "{\"w\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]);
        var error = Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Contains("'w'", error.Message);
        Assert.Contains("6 bytes", error.Message);
        Assert.Contains("8", error.Message);
    }

    [Fact]
    public void Open_OverlappingTensors_NamesBoth()
    {
        var path = WriteRaw(null,
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
            new byte[12]);
        var error = Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Contains("overlaps", error.Message);
        Assert.Contains("'a'", error.Message);
        Assert.Contains("'b'", error.Message);
    }

    [Fact]
    public void Open_BytesBelongingToNoTensor_AreRefused()
    {
        var path = WriteRaw(null, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]);
        Assert.Contains("belong to no tensor", Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(path)).Message);
    }

    [Fact]
    public void Open_UnknownDtype_NamesIt()
    {
        var path = WriteRaw(null, "{\"a\":{\"dtype\":\"F8_E9M9\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1]);
        Assert.Contains("F8_E9M9", Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(path)).Message);
    }

    [Fact]
    public void Open_AbsurdShape_IsRefusedWithoutAllocating()
    {
        var path = WriteRaw(null, "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,4]}}", new byte[4]);
        Assert.Contains("absurd shape", Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(path)).Message);
    }

    [Fact]
    public void Open_IndexNamingMissingShard_NamesTheShard()
    {
        File.WriteAllText(Path.Combine(_directory.FullName, SafetensorsCheckpoint.IndexFileName),
            "{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\"}}");
        var error = Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(_directory.FullName));
        Assert.Contains("model-00001-of-00002.safetensors", error.Message);
    }

    [Fact]
    public void Open_IndexClaimingTensorTheShardLacks_NamesTheTensor()
    {
        WriteValid("shard.safetensors");
        File.WriteAllText(Path.Combine(_directory.FullName, SafetensorsCheckpoint.IndexFileName),
            "{\"weight_map\":{\"w\":\"shard.safetensors\",\"ghost\":\"shard.safetensors\"}}");
        var error = Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(_directory.FullName));
        Assert.Contains("'ghost'", error.Message);
    }

    [Fact]
    public void Open_IndexWithPathInShardName_IsRefused()
    {
        File.WriteAllText(Path.Combine(_directory.FullName, SafetensorsCheckpoint.IndexFileName),
            "{\"weight_map\":{\"a\":\"../../etc/passwd\"}}");
        Assert.Contains("invalid shard name", Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(_directory.FullName)).Message);
    }

    [Fact]
    public void Open_DirectoryWithoutWeights_SaysWhatIsMissing()
    {
        var error = Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(_directory.FullName));
        Assert.Contains(SafetensorsCheckpoint.SingleFileName, error.Message);
    }

    private string WriteValid(string name = "model.safetensors")
    {
        var path = Path.Combine(_directory.FullName, name);
        SafetensorsWriter.Write(path, [new("w", TensorType.F32, [4], new byte[16])]);
        return path;
    }

    private string WriteRaw(long? headerLength, string header, byte[] data)
    {
        var path = Path.Combine(_directory.FullName, "raw.safetensors");
        var headerBytes = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + headerBytes.Length + data.Length];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, headerLength ?? headerBytes.Length);
        headerBytes.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + headerBytes.Length);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
