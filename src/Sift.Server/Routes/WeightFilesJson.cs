using System.Text.Json;
using Sift.Hub;

namespace Sift.Server.Routes;

/// <summary>A model's weight files as JSON, one shape for /v1/models and `sift info --json`: [{"name", "bytes", "sha256"}].</summary>
internal static class WeightFilesJson
{
    public static void Write(Utf8JsonWriter json, string property, IReadOnlyList<WeightFileDigest> files)
    {
        json.WriteStartArray(property);
        foreach (var file in files)
        {
            json.WriteStartObject();
            json.WriteString("name", file.Name);
            json.WriteNumber("bytes", file.Bytes);
            json.WriteString("sha256", file.Sha256);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }
}
