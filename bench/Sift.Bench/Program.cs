using Sift.Bench;

var options = BenchOptions.Parse(args);
switch (options.Workload)
{
    case "tokenizer":
        TokenizerBenchmark.Run(options);
        break;
    case "gemm":
        GemmBenchmark.Run(options);
        break;
    default:
        Console.Error.WriteLine($"unknown workload '{options.Workload}'");
        return 2;
}
return 0;
