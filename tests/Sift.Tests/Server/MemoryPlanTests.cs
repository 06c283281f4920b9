using Sift.Engine;
using Sift.Server.Hosting;

namespace Sift.Tests.Server;

public sealed class MemoryPlanTests
{
    private static readonly ModelFootprint[] Models =
    [
        ModelFootprint.Estimate(new ModelOptions { Model = Fixtures.EmbeddingModel }, ModelKind.Embedding),
        ModelFootprint.Estimate(new ModelOptions { Model = Fixtures.RerankerModel }, ModelKind.Reranker),
    ];

    [Fact]
    public void Plan_GivesPassesTheLargestTokenCountThatFits_AndCapsInputsByIt()
    {
        var options = new ServerOptions { PayloadLimit = 64 << 10 };
        const long budget = 340L << 20;
        var plan = MemoryPlan.Create(budget, Models, options, threads: 2);

        long Total(int tokens) => plan.RuntimeAndTokenizerBytes + plan.WeightBytes + plan.CacheBytes + plan.RequestBytes
            + Models.Sum(m => m.PassBytes(tokens, Math.Min(tokens, m.MaxLength))) + ModelFootprint.KernelScratchBytes(Models, tokens, 2);
        Assert.InRange(plan.MaxBatchTokens, MemoryPlan.MinBatchTokens, options.MaxBatchTokens - 1);
        Assert.True(Total(plan.MaxBatchTokens) <= budget);
        Assert.True(Total(plan.MaxBatchTokens + 1) > budget);
        Assert.Equal(plan.MaxBatchTokens, plan.EmbeddingMaxLength);
        Assert.Equal(plan.MaxBatchTokens, plan.RerankerMaxLength);
        Assert.InRange(plan.MaxConcurrentRequests, 1, options.MaxConcurrentRequests);
        Assert.Contains($"--max-batch-tokens {plan.MaxBatchTokens}", plan.ToString());
    }

    [Fact]
    public void ResultCache_AtItsBound_IsInsideTheBudget()
    {
        // The in-process cache (on by default) holds up to --cache-size entries, each at most the widest
        // model's embedding plus 488 bytes of key and bookkeeping (measured): once left out of the plan,
        // so a full cache pushed the process past --max-memory (and into the managed heap's hard limit).
        var options = new ServerOptions { PayloadLimit = 64 << 10 };
        const long budget = 340L << 20;
        var plan = MemoryPlan.Create(budget, Models, options, threads: 2);
        var cacheAtItsBound = plan.CacheEntries * (64L * sizeof(float) + 488);
        var total = plan.RuntimeAndTokenizerBytes + plan.WeightBytes + plan.RequestBytes + cacheAtItsBound
            + Models.Sum(m => m.PassBytes(plan.MaxBatchTokens, Math.Min(plan.MaxBatchTokens, m.MaxLength)))
            + ModelFootprint.KernelScratchBytes(Models, plan.MaxBatchTokens, 2);
        Assert.True(total <= budget, $"{total >> 20} MiB planned with the cache full, over the {budget >> 20} MiB budget");
        Assert.Contains("result cache", plan.ToString());

        var withoutCache = MemoryPlan.Create(budget, Models, options with { Cache = new Sift.Server.Caching.CacheOptions { Backend = Sift.Server.Caching.CacheBackend.None } }, threads: 2);
        Assert.Equal(0, withoutCache.CacheBytes);
        Assert.True(withoutCache.MaxBatchTokens > plan.MaxBatchTokens, $"{withoutCache.MaxBatchTokens} tokens without the cache, {plan.MaxBatchTokens} with it");
    }

    [Fact]
    public void ResultCache_LargerThanAnEighthOfWhatTheWeightsLeave_ShrinksToFitInsteadOfRefusingTheBudget()
    {
        // At the 0.6B shape the default 50,000 entries (~223 MiB) did not fit 1600 MB beside the weights, and
        // the budget was refused; here 2,000,000 entries of the fixtures' width play that part: the cache
        // gets an eighth of what the runtime and weights leave, and the plan still stands.
        var options = new ServerOptions { PayloadLimit = 64 << 10, Cache = new Sift.Server.Caching.CacheOptions { Size = 50_000 } };
        const long budget = 340L << 20;
        var wide = MemoryPlan.Create(budget, Models, options with { Cache = options.Cache with { Size = 2_000_000 } }, threads: 2);
        var entryBytes = 64L * sizeof(float) + MemoryPlan.CacheEntryOverheadBytes;
        var share = (budget - wide.RuntimeAndTokenizerBytes - wide.WeightBytes) / 8;
        Assert.Equal(share / entryBytes, wide.CacheEntries);
        Assert.True(wide.CacheBytes <= share, $"cache {wide.CacheBytes} over its share {share}");
        Assert.Contains($"result cache {wide.CacheEntries} entries", wide.ToString());

        // A cache that fits keeps the configured size.
        var small = MemoryPlan.Create(budget, Models, options with { Cache = options.Cache with { Size = 1000 } }, threads: 2);
        Assert.Equal(1000, small.CacheEntries);
    }

    [Fact]
    public void ResultCache_IsBoundedInBytes_AndAlwaysHoldsItsLargestEntry()
    {
        // A search entry can be thousands of times an embedding: the plan reserves bytes, not entries of an embedding's size,
        // never more than --cache-memory and never less than one entry at --cache-max-entry (a search charged twice its bytes).
        var options = new ServerOptions { PayloadLimit = 64 << 10 };
        const long budget = 340L << 20;
        var largest = Sift.Server.Caching.ByteBoundedMemoryCache.Charge("search", options.Cache.MaxEntryBytes);

        var plan = MemoryPlan.Create(budget, Models, options, threads: 2);
        Assert.InRange(plan.CacheBytes, largest, options.Cache.MaxBytes);
        Assert.True(plan.CacheEntries * (64L * sizeof(float) + MemoryPlan.CacheEntryOverheadBytes) <= plan.CacheBytes);

        var capped = MemoryPlan.Create(budget, Models, options with { Cache = options.Cache.WithBytes(4L << 20, 64 << 10) }, threads: 2);
        Assert.Equal(4L << 20, capped.CacheBytes);
        var tight = MemoryPlan.Create(budget, Models, options with { Cache = options.Cache.WithBytes(1L << 30, 8L << 20) }, threads: 2);
        Assert.True(tight.CacheBytes >= Sift.Server.Caching.ByteBoundedMemoryCache.Charge("search", 8L << 20));
    }

    [Fact]
    public void LargeBudget_KeepsTheConfiguredLimits()
    {
        var options = new ServerOptions { MaxBatchTokens = 4096, MaxConcurrentRequests = 8 };
        var plan = MemoryPlan.Create(8L << 30, Models, options, threads: 2);
        Assert.Equal((4096, 4096, 4096, 8), (plan.MaxBatchTokens, plan.EmbeddingMaxLength, plan.RerankerMaxLength, plan.MaxConcurrentRequests));
    }

    [Fact]
    public void TooSmallBudget_IsRefusedNamingWhatTakesTheSpace()
    {
        var error = Assert.Throws<MemoryBudgetException>(() => MemoryPlan.Create(100L << 20, Models, new ServerOptions(), threads: 2));
        Assert.Matches("--max-memory 100 MiB is too small: .*the weights \\d+ MiB.*at least \\d+ MiB is needed", error.Message);
    }

    [Fact]
    public void PayloadLimitAboveTheBudget_IsRefused_NotOverflowedIntoAPlan()
    {
        // 4 × a payload limit near long.MaxValue once wrapped negative and the plan admitted a pass that could not fit.
        var options = new ServerOptions { PayloadLimit = long.MaxValue / 2 };
        var error = Assert.Throws<MemoryBudgetException>(() => MemoryPlan.Create(8L << 30, Models, options, threads: 2));
        Assert.Contains("is too small", error.Message);
    }
}
