namespace Sift.Tests.Server;

/// <summary>One server with both fixture models, shared by the tests of a class.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await TestServer.StartAsync();

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
