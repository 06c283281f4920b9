using System.Runtime.InteropServices;

namespace Sift.Bench;

/// <summary>
/// CPU time of the calling thread (Linux CLOCK_THREAD_CPUTIME_ID): on a machine shared with other
/// busy processes, a single-threaded kernel's CPU time excludes the time slices it waited for,
/// which wall-clock best-of cannot filter out once each run spans several slices.
/// </summary>
internal static partial class ThreadClock
{
    private const int ThreadCpuTimeClock = 3;

    public static bool IsAvailable { get; } = OperatingSystem.IsLinux();

    public static double Seconds()
    {
        if (clock_gettime(ThreadCpuTimeClock, out var time) != 0)
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        }
        return time.Seconds + time.Nanoseconds * 1e-9;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int clock_gettime(int clock, out TimeSpec time);
}
