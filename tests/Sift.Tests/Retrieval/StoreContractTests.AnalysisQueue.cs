using Sift.Retrieval;

namespace Sift.Tests.Retrieval;

/// <summary>The analysis queues every store keeps (the server's low-confidence rankings when the cache is not Redis): bounded, newest first.</summary>
public abstract partial class StoreContractTests
{
    [Fact]
    public async Task AnalysisQueue_KeepsTheNewestUpToItsBound_NewestFirst_EachQueueApart()
    {
        await using var store = await OpenStoreAsync();
        var queues = Assert.IsAssignableFrom<IAnalysisQueue>(store);
        var (queue, other) = ($"q{Guid.NewGuid():N}", $"o{Guid.NewGuid():N}");
        var start = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        await queues.AppendAsync(other, start, "{\"other\":true}", 3, Cancel);
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            ids.Add(await queues.AppendAsync(queue, start.AddSeconds(i), $"{{\"n\":{i}}}", 3, Cancel));
        }

        var newest = await queues.ReadNewestAsync(queue, 10, Cancel);
        var two = await queues.ReadNewestAsync(queue, 2, Cancel);

        Assert.Equal(["{\"n\":6}", "{\"n\":5}", "{\"n\":4}"], newest.Select(r => r.Record));
        Assert.Equal(ids[^3..].AsEnumerable().Reverse(), newest.Select(r => r.Id));
        Assert.StartsWith($"{start.AddSeconds(6).ToUnixTimeMilliseconds()}-", newest[0].Id, StringComparison.Ordinal);
        Assert.Equal(newest.Take(2), two);
        Assert.Equal(["{\"other\":true}"], (await queues.ReadNewestAsync(other, 10, Cancel)).Select(r => r.Record));
    }
}
