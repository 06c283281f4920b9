using Sift.Qwen3;

namespace Sift.Bench;

/// <summary>The real Qwen3-Embedding / Reranker shapes, for random-weight benchmarks.</summary>
internal static class ModelShapes
{
    public static Qwen3Config Get(string name) => name switch
    {
        "qwen3-0.6b" => Shape(1024, 28, 16, 8, 3072, tied: true),
        "qwen3-4b" => Shape(2560, 36, 32, 8, 9728, tied: true),
        "qwen3-8b" => Shape(4096, 36, 32, 8, 12288, tied: false),
        _ => throw new ArgumentException($"unknown shape '{name}' (qwen3-0.6b, qwen3-4b, qwen3-8b)"),
    };

    private static Qwen3Config Shape(int hidden, int layers, int heads, int kvHeads, int ffn, bool tied) => new()
    {
        HiddenSize = hidden,
        LayerCount = layers,
        HeadCount = heads,
        KeyValueHeadCount = kvHeads,
        HeadDim = 128,
        IntermediateSize = ffn,
        VocabSize = 151669,
        MaxPositionEmbeddings = 32768,
        RmsNormEps = 1e-6,
        RopeTheta = 1_000_000,
        TieWordEmbeddings = tied,
        TorchDtype = "bfloat16",
    };
}
