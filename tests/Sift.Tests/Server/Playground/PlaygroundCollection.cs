namespace Sift.Tests.Server.Playground;

/// <summary>The page tests share one server and one browser, and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PlaygroundCollection : ICollectionFixture<PlaygroundFixture>
{
    public const string Name = "Playground in a real browser";
}
