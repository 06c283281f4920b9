using System.Runtime.InteropServices;

namespace Sift.Checkpoints;

/// <summary>madvise(2) for memory-mapped weights, on Linux; a no-op elsewhere.</summary>
internal static unsafe partial class PageAdvice
{
    private const int DontNeedAdvice = 4;
    private const long PageSize = 4096;

    /// <summary>Drops the pages covering [address, address + length) from the resident set.</summary>
    public static void DontNeed(byte* address, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0)
        {
            return;
        }
        // madvise wants a page-aligned start; widening to whole pages only costs a re-read of a neighbour's page.
        var start = (long)address & ~(PageSize - 1);
        var end = ((long)address + length + PageSize - 1) & ~(PageSize - 1);
        _ = Madvise((nint)start, (nuint)(end - start), DontNeedAdvice);
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
