using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sift.Server.Alerts;

/// <summary>How alerts are written as JSON, in the queue, over HTTP and to the webhook: snake_case, plain UTF-8, absent fields left out.</summary>
internal static class AlertJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };
}
