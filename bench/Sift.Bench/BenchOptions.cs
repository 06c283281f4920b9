namespace Sift.Bench;

/// <summary>Command-line settings of the benchmark runner.</summary>
internal sealed record BenchOptions
{
    public required string Workload { get; init; }
    public string Shape { get; init; } = "qwen3-0.6b";
    public string Precision { get; init; } = "bf16";
    public string? Model { get; init; }
    public string? JsDirectory { get; init; }
    public string[] Corpus { get; init; } = [];
    public int Rounds { get; init; } = 5;
    public int Threads { get; init; } = Environment.ProcessorCount;
    public int MaxBatchTokens { get; init; } = 8192;
    public string? Postgres { get; init; }
    public string? Output { get; init; }
    public int Documents { get; init; } = 10_000;
    public int Queries { get; init; } = 200;
    public int Seed { get; init; } = 1;
    public string? Beir { get; init; }
    public int TopK { get; init; } = 100;
    public int? RerankTop { get; init; }
    public int? Columns { get; init; }
    public int DocumentTokens { get; init; } = 100_000;
    public int WindowTokens { get; init; } = 8192;
    public int WindowOverlap { get; init; } = Sift.Engine.LongDocuments.WindowOptions.DefaultOverlap;

    /// <summary>The weight format --precision asks for: null keeps the checkpoint's (bf16) format.</summary>
    public Kernels.WeightFormat? Quantize => Precision switch
    {
        "bf16" => null,
        "int8" => Kernels.WeightFormat.Int8,
        "int8a16" => Kernels.WeightFormat.Int8A16,
        var other => throw new ArgumentException($"unknown precision {other} (bf16, int8, int8a16)"),
    };
    public string MaxMemory { get; init; } = "1600MB";

    public static BenchOptions Parse(string[] args)
    {
        string? Value(string name)
        {
            var index = Array.IndexOf(args, name);
            return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
        }
        var corpus = new List<string>();
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--corpus")
            {
                corpus.Add(args[i + 1]);
            }
        }
        return new BenchOptions
        {
            Workload = Value("--workload") ?? throw new ArgumentException("--workload is required (tokenizer, gemm, W1..W5)"),
            Shape = Value("--shape") ?? "qwen3-0.6b",
            Precision = Value("--precision") ?? "bf16",
            Model = Value("--model"),
            JsDirectory = Value("--js-dir"),
            Corpus = corpus.ToArray(),
            Rounds = int.TryParse(Value("--rounds"), out var rounds) ? rounds : 1,
            MaxBatchTokens = int.TryParse(Value("--max-batch-tokens"), out var batchTokens) ? batchTokens : 8192,
            Threads = int.TryParse(Value("--threads"), out var threads) ? threads : Environment.ProcessorCount,
            Postgres = Value("--postgres"),
            Output = Value("--out"),
            Documents = int.TryParse(Value("--documents"), out var documents) ? documents : 10_000,
            Queries = int.TryParse(Value("--queries"), out var queries) ? queries : 200,
            Seed = int.TryParse(Value("--seed"), out var seed) ? seed : 1,
            Beir = Value("--beir"),
            TopK = int.TryParse(Value("--top-k"), out var topK) ? topK : 100,
            RerankTop = int.TryParse(Value("--rerank-top"), out var rerankTop) ? rerankTop : null,
            Columns = int.TryParse(Value("--columns"), out var columns) ? columns : null,
            MaxMemory = Value("--max-memory") ?? "1600MB",
            DocumentTokens = int.TryParse(Value("--document-tokens"), out var documentTokens) ? documentTokens : 100_000,
            WindowTokens = int.TryParse(Value("--window"), out var window) ? window : 8192,
            WindowOverlap = int.TryParse(Value("--window-overlap"), out var overlap) ? overlap : Sift.Engine.LongDocuments.WindowOptions.DefaultOverlap,
        };
    }
}
