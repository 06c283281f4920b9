using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Sift.Tests.Telemetry;

/// <summary>
/// A loopback OTLP/HTTP collector for tests: accepts POST /v1/traces (and /v1/metrics) and decodes
/// the spans of each ExportTraceServiceRequest from the protobuf wire format itself, so the test
/// checks what an APM would receive without trusting the exporter's own code.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    public IReadOnlyList<ReceivedSpan> Spans => _spans.ToArray();

    public int MetricExports { get; private set; }

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            foreach (var span in Decode(body.ToArray()))
            {
                receiver._spans.Enqueue(span);
            }
            context.Response.ContentType = "application/x-protobuf";
        });
        app.MapPost("/v1/metrics", async (HttpContext context) =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            receiver.MetricExports++;
            context.Response.ContentType = "application/x-protobuf";
        });
        await app.StartAsync();
        receiver.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>ExportTraceServiceRequest → resource_spans(1) → {resource(1) → attributes(1), scope_spans(2) → {scope(1), spans(2)}}.</summary>
    private static IEnumerable<ReceivedSpan> Decode(byte[] request)
    {
        foreach (var resourceSpans in Protobuf.Fields(request).Where(f => f.Number == 1))
        {
            var fields = Protobuf.Fields(resourceSpans.Bytes).ToArray();
            var resource = fields.Where(f => f.Number == 1).SelectMany(r => Attributes(r.Bytes, 1)).ToDictionary();
            foreach (var scopeSpans in fields.Where(f => f.Number == 2))
            {
                var scopeFields = Protobuf.Fields(scopeSpans.Bytes).ToArray();
                var scope = scopeFields.Where(f => f.Number == 1).Select(s => Protobuf.Fields(s.Bytes).FirstOrDefault(f => f.Number == 1)?.Text).FirstOrDefault() ?? "";
                foreach (var span in scopeFields.Where(f => f.Number == 2))
                {
                    var spanFields = Protobuf.Fields(span.Bytes).ToArray();
                    string Hex(int number) => Convert.ToHexStringLower(spanFields.FirstOrDefault(f => f.Number == number)?.Bytes ?? []);
                    yield return new ReceivedSpan(
                        Hex(1), Hex(2), Hex(4),
                        spanFields.First(f => f.Number == 5).Text,
                        scope,
                        Attributes(span.Bytes, 9).ToDictionary(),
                        resource);
                }
            }
        }
    }

    /// <summary>KeyValue{key(1), AnyValue value(2){string(1) | bool(2) | int(3) | double(4)}} fields numbered <paramref name="number"/>, values as text.</summary>
    private static IEnumerable<KeyValuePair<string, string>> Attributes(byte[] message, int number)
    {
        foreach (var pair in Protobuf.Fields(message).Where(f => f.Number == number))
        {
            var fields = Protobuf.Fields(pair.Bytes).ToArray();
            var key = fields.First(f => f.Number == 1).Text;
            var value = fields.FirstOrDefault(f => f.Number == 2) is { } any ? Protobuf.Fields(any.Bytes).FirstOrDefault() : null;
            yield return new(key, value switch
            {
                { Number: 1 } => value.Text,
                { Number: 2 or 3 } => value.Varint.ToString(System.Globalization.CultureInfo.InvariantCulture),
                { Number: 4 } => BitConverter.Int64BitsToDouble((long)value.Varint).ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => "",
            });
        }
    }
}

/// <summary>One span as the collector received it (ids in lowercase hex; a root span has an empty parent).</summary>
public sealed record ReceivedSpan(string TraceId, string SpanId, string ParentSpanId, string Name, string Scope,
    IReadOnlyDictionary<string, string> Attributes, IReadOnlyDictionary<string, string> Resource);
