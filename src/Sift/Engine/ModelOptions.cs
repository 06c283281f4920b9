using Sift.Kernels;

namespace Sift.Engine;

/// <summary>Settings shared by <see cref="Embedder"/> and <see cref="Reranker"/>, validated once at load.</summary>
public record ModelOptions
{
    /// <summary>A local model directory (config.json, tokenizer.json, safetensors).</summary>
    public required string Model { get; init; }

    /// <summary>The name the model answers to; defaults to the directory name.</summary>
    public string? Name { get; init; }

    /// <summary>The longest input in tokens; defaults to the model's own limit.</summary>
    public int? MaxLength { get; init; }

    /// <summary>Tokens per forward pass; larger passes use the cores better and take more memory.</summary>
    public int MaxBatchTokens { get; init; } = 8192;

    /// <summary>
    /// How to keep layer weights in memory: null keeps the checkpoint's format (bf16 stays bf16);
    /// <see cref="WeightFormat.Int8"/> quantizes them at load to int8 blocks (about half the memory, faster; 128 inputs
    /// per block on rows of 1024 or more, 32 on narrower rows and for matrices whose weights are all Q8_0 already), multiplied with 7-bit activations;
    /// <see cref="WeightFormat.Int8A16"/> to Q8_0 blocks of 32 with 15-bit activations (more accurate, slower).
    /// </summary>
    public WeightFormat? Quantize { get; init; }

    /// <summary>The compute threads; defaults to one per core.</summary>
    public WorkerPool? Pool { get; init; }
}
