using System.Diagnostics;

namespace Sift.Tests.Support;

/// <summary>
/// A copy of the fixture reranker whose config.json is a FIFO: a server loading it blocks there (the
/// reranker stays "loading", the embedding model, loaded first, serves) until <see cref="FinishLoadingAsync"/>
/// writes the real file through it. The directory (and anything a test puts in it) goes with Dispose.
/// </summary>
internal sealed class LoadingReranker : IDisposable
{
    private readonly byte[] _config;

    private LoadingReranker(string directory, byte[] config)
    {
        Directory = directory;
        _config = config;
    }

    /// <summary>The reranker's directory (pass it as --reranker).</summary>
    public string Directory { get; }

    public static async Task<LoadingReranker> CreateAsync()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("sift-loading-").FullName;
        foreach (var file in System.IO.Directory.GetFiles(Fixtures.RerankerModel))
        {
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        }
        var config = Path.Combine(directory, "config.json");
        var content = await File.ReadAllBytesAsync(config, TestContext.Current.CancellationToken);
        File.Delete(config);
        var mkfifo = RequiredService.FindExecutable("mkfifo", "/usr/bin/mkfifo");
        RequiredService.Require(mkfifo is not null, "mkfifo", "apt-get install coreutils");
        using (var make = Process.Start(mkfifo!, [config]))
        {
            await make.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
        return new LoadingReranker(directory, content);
    }

    /// <summary>Lets the load go on: the real config.json goes through the FIFO.</summary>
    public Task FinishLoadingAsync() => File.WriteAllBytesAsync(Path.Combine(Directory, "config.json"), _config, TestContext.Current.CancellationToken);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
