using Sift.Bench;

var options = BenchOptions.Parse(args);
switch (options.Workload)
{
    case "tokenizer":
        TokenizerBenchmark.Run(options);
        break;
    case "tokenizer-hostile":
        HostileTokenizerBenchmark.Run(options);
        break;
    case "gemm":
        GemmBenchmark.Run(options);
        break;
    case "peaks":
        GemmBenchmark.RunPeaks(options);
        break;
    case "accuracy":
        AccuracyBenchmark.Run(options);
        break;
    case "accuracy-shape":
        ShapeAccuracyBenchmark.Run(options);
        break;
    case "server":
        await ServerLoadBenchmark.RunAsync(options);
        break;
    case "memory":
        await MemoryBudgetBenchmark.RunAsync(options);
        break;
    case "load":
        LoadBenchmark.Run(options);
        break;
    case "cache":
        await CacheBenchmark.RunAsync(options);
        break;
    case "search-cache":
        await SearchCacheBenchmark.RunAsync(options);
        break;
    case "single-flight":
        await SingleFlightBenchmark.RunAsync(options);
        break;
    case "attention":
        AttentionBenchmark.Run(options);
        break;
    case "beir-generate":
        SyntheticBeirGenerator.Run(options);
        break;
    case "lexical-index":
        HybridBenchmarks.RunLexicalIndex(options);
        break;
    case "eval":
        await HybridBenchmarks.RunEvalAsync(options);
        break;
    case "lexical-choice":
        LexicalChoiceBenchmark.Run(options);
        break;
    case "soak":
        await SoakBenchmark.RunAsync(options);
        break;
    case "tile-call":
        TileCallBenchmark.Run(options);
        break;
    case "quantize":
        QuantizeBenchmark.Run(options);
        break;
    case "rope":
        RopeBenchmark.Run(options);
        break;
    case "vector" or "pgvector" or "search":
        await RetrievalBenchmarks.RunAsync(options, args);
        break;
    case "W1" or "W2" or "W3" or "W4" or "W5" or "W6" or "R1":
        EngineWorkloads.Run(options);
        break;
    default:
        Console.Error.WriteLine($"unknown workload '{options.Workload}'");
        return 2;
}
return 0;
