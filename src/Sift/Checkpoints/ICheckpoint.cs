using System.Diagnostics.CodeAnalysis;

namespace Sift.Checkpoints;

/// <summary>Named tensors from one model's weight files (safetensors shards or a GGUF file).</summary>
public interface ICheckpoint : IDisposable
{
    /// <summary>Every tensor name in the checkpoint.</summary>
    IReadOnlyCollection<string> TensorNames { get; }

    /// <summary>Looks a tensor up by its exact name.</summary>
    bool TryGetTensor(string name, [NotNullWhen(true)] out CheckpointTensor? tensor);
}
