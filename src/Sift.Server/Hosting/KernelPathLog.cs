using Sift.Kernels;

namespace Sift.Server.Hosting;

/// <summary>The start-up log line that says which SIMD kernel path serves this process's requests.</summary>
internal static partial class KernelPathLog
{
    public static void Write(ILogger logger)
    {
        var path = KernelPath.Current;
        Log(logger, path.Name, path.InstructionSet, path.Float32, path.Int8, path.EmittedInt8Tile);
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "kernel path {Path} ({InstructionSet}): fp32 {Float32}; int8 {Int8}; emitted int8 tile {EmittedInt8Tile}")]
    private static partial void Log(ILogger logger, string path, string instructionSet, string float32, string int8, string emittedInt8Tile);
}
