namespace Sift.Evaluation;

/// <summary>How one search mode did on a dataset.</summary>
/// <param name="Mode">"dense", "hybrid", "dense+rerank" or "hybrid+rerank".</param>
/// <param name="Metrics">nDCG@10, MRR@10, Recall@100.</param>
/// <param name="Latency">Per-query search latency.</param>
public sealed record ModeResult(string Mode, MetricSummary Metrics, LatencySummary Latency);
