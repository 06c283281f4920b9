using System.Diagnostics.Metrics;
using Sift.Server.Metrics;
using Sift.Telemetry;

namespace Sift.Tests.Telemetry;

/// <summary>ServerMetrics' methods record on the documented instruments, with their tags.</summary>
public sealed class ServerMetricsTests
{
    [Fact]
    public void CacheAndAlertMethods_RecordOnTheirInstruments()
    {
        using var telemetry = new SiftTelemetry();
        var metrics = new ServerMetrics(telemetry);
        var seen = new List<(string Instrument, long Value, string Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, telemetry.Meter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            seen.Add((instrument.Name, value, string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}")))));
        listener.Start();

        metrics.RecordCacheLookups("embedding", hits: 3, misses: 0);
        metrics.RecordCacheLookups("rerank", hits: 0, misses: 2);
        metrics.RecordCacheError("read", "timeout");
        metrics.RecordLowConfidence("m", "docs");
        metrics.RecordAlertWebhook("sent");
        metrics.RecordCacheOversize("search");
        metrics.ObserveCache(() => 42, () => 4200);
        listener.RecordObservableInstruments();

        Assert.Equal(
        [
            ("sift.cache.requests", 3, "kind=embedding,result=hit"),
            ("sift.cache.requests", 2, "kind=rerank,result=miss"),
            ("sift.cache.errors", 1, "operation=read,kind=timeout"),
            ("sift.low_confidence", 1, "model=m,collection=docs"),
            ("sift.alert.webhook", 1, "result=sent"),
            ("sift.cache.oversize", 1, "kind=search"),
            ("sift.cache.entries", 42, ""),
            ("sift.cache.bytes", 4200, ""),
        ], seen);
    }
}
