using Sift.Checkpoints;
using Sift.Qwen3;

namespace Sift.Tests.Checkpoints;

public sealed class Qwen3ConfigTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("sift-config-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void Load_FixtureConfig_ReadsEveryField()
    {
        var config = Qwen3Config.Load(Fixtures.RerankerModel);
        Assert.Equal(64, config.HiddenSize);
        Assert.Equal(128, config.IntermediateSize);
        Assert.Equal(2, config.LayerCount);
        Assert.Equal(4, config.HeadCount);
        Assert.Equal(2, config.KeyValueHeadCount);
        Assert.Equal(32, config.HeadDim);
        Assert.Equal(151669, config.VocabSize);
        Assert.Equal(1e6, config.RopeTheta);
        Assert.Equal(1e-6, config.RmsNormEps);
        Assert.False(config.TieWordEmbeddings);
    }

    [Theory]
    [InlineData("\"num_attention_heads\": 3", "num_attention_heads 3 is not a multiple of num_key_value_heads 2")]
    [InlineData("\"hidden_size\": 0", "hidden_size must be positive, got 0")]
    [InlineData("\"head_dim\": 31", "head_dim 31 must be even")]
    [InlineData("\"model_type\": \"llama\"", "model_type 'llama'")]
    [InlineData("\"model_type\": \"qwen2\"", "model_type 'qwen2' is not a Qwen3 model")]
    [InlineData("\"rope_scaling\": {\"type\": \"yarn\"}", "rope_scaling is not supported")]
    public void Load_InvalidField_NamesTheFieldAndValue(string replacement, string expected)
    {
        var text = File.ReadAllText(Path.Combine(Fixtures.EmbeddingModel, "config.json"));
        var key = replacement[..(replacement.IndexOf(':') + 1)];
        var lines = text.Split('\n').Where(line => !line.TrimStart().StartsWith(key, StringComparison.Ordinal)).ToList();
        lines.Insert(1, "  " + replacement + ",");
        File.WriteAllText(Path.Combine(_directory.FullName, "config.json"), string.Join('\n', lines));
        var error = Assert.Throws<CheckpointException>(() => Qwen3Config.Load(_directory.FullName));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Load_Missing_NamesThePath()
    {
        var error = Assert.Throws<CheckpointException>(() => Qwen3Config.Load(_directory.FullName));
        Assert.Contains(Path.Combine(_directory.FullName, "config.json"), error.Message);
    }

    [Fact]
    public void Load_NotJson_SaysSo()
    {
        File.WriteAllText(Path.Combine(_directory.FullName, "config.json"), "{ nope");
        Assert.Contains("not a valid config.json", Assert.Throws<CheckpointException>(() => Qwen3Config.Load(_directory.FullName)).Message);
    }
}
