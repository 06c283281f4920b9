using System.Text.Json;
using Sift.Retrieval;

namespace Sift.Tests.Retrieval;

/// <summary>Metadata numbers: what a request may send, and what a store already holds.</summary>
public sealed class DocumentMetadataTests
{
    [Theory]
    [InlineData("9007199254740993")]
    [InlineData("-9007199254740993")]
    [InlineData("123456789012345678901234567890")]
    public void FromJson_IntegerADoubleCannotHoldExactly_IsRefusedNamingTheKeyAndTheLimit(string number)
    {
        using var json = JsonDocument.Parse($"{{\"id\": {number}}}");

        var refused = Assert.Throws<RetrievalException>(() => DocumentMetadata.FromJson(json.RootElement, "metadata"));

        Assert.Equal((400, "metadata.id", "invalid_metadata"), (refused.Status, refused.Param, refused.Code));
        Assert.Contains(number, refused.Message);
        Assert.Contains("9007199254740992", refused.Message);
    }

    [Theory]
    [InlineData("9007199254740992", 9007199254740992.0)]
    [InlineData("-9007199254740992", -9007199254740992.0)]
    [InlineData("1e300", 1e300)]
    [InlineData("12345678901234567890.5", 12345678901234567890.5)]
    public void FromJson_ExactIntegersAndNumbersWrittenAsFractionsOrExponents_AreKept(string number, double expected)
    {
        using var json = JsonDocument.Parse($"{{\"x\": {number}}}");

        Assert.Equal(expected, DocumentMetadata.FromJson(json.RootElement, "metadata")["x"].Number);
    }

    [Fact]
    public void Parse_StoredMetadataWrittenBeforeTheRule_IsReadAsItIs()
    {
        Assert.Equal(9007199254740994.0, DocumentMetadata.Parse("{\"id\":9007199254740994}")["id"].Number);
    }
}
