namespace Sift.Hub;

/// <summary>
/// Turns what a user passes as --model into a local path: a model directory or a .gguf file as
/// is, otherwise a hub id (<c>Qwen/Qwen3-Embedding-0.6B</c>, <c>@revision</c>, <c>:Q8_0</c> for GGUF
/// repositories) resolved through the hub cache and downloaded when missing.
/// </summary>
public static class ModelSource
{
    /// <summary>The embedding model served when none is given.</summary>
    public const string DefaultEmbeddingModel = "Qwen/Qwen3-Embedding-0.6B";

    /// <summary>The reranker served when no model is given.</summary>
    public const string DefaultReranker = "Qwen/Qwen3-Reranker-0.6B";

    /// <summary>Whether a spec names something on this machine (it is used as is).</summary>
    public static bool IsLocal(string spec) =>
        Directory.Exists(spec) || File.Exists(spec) && spec.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);

    /// <summary>The local path for <paramref name="spec"/>, downloading from the hub when needed.</summary>
    public static async Task<string> ResolveAsync(string spec, HubOptions options, IProgress<DownloadProgress>? progress = null,
        CancellationToken cancellationToken = default, Func<bool, HttpMessageHandler>? handler = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        if (IsLocal(spec))
        {
            return spec;
        }
        var looksLikePath = spec.StartsWith('/') || spec.StartsWith('.') || spec.StartsWith('~') || spec.Contains('\\', StringComparison.Ordinal)
            || spec.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) || File.Exists(spec);
        var reference = looksLikePath ? null
            : ModelReference.TryParse(spec, options.Kind == HubKind.ModelScope ? "master" : ModelReference.DefaultRevision);
        if (reference is null && !looksLikePath && spec.IndexOf('@', StringComparison.Ordinal) is > 0 and var at
            && ModelReference.TryParse(spec[..at]) is not null)
        {
            throw new HubException($"'{spec}' names the revision '{spec[(at + 1)..]}', which is not a branch, tag or commit (letters, digits, '_', '-', '.', '/')");
        }
        if (reference is null)
        {
            throw new HubException(looksLikePath
                ? $"{spec}: no such model directory or .gguf file"
                : $"'{spec}' is neither a local model directory, a .gguf file, nor a hub id such as {DefaultEmbeddingModel}");
        }
        using var downloader = new ModelDownloader(options, progress, handler);
        return await downloader.DownloadAsync(reference, cancellationToken);
    }
}
