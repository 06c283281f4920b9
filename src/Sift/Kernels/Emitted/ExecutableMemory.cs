using System.Runtime.InteropServices;

namespace Sift.Kernels.Emitted;

/// <summary>
/// A page-aligned block of native memory that holds machine code: written while read-write, then
/// switched to read-execute (never writable and executable at once). Not created where the OS refuses
/// (hardened kernels without execmem, Windows Arbitrary Code Guard) or is not supported here (Linux,
/// macOS and Windows on x64 are); then the failure says which call failed and its error.
/// </summary>
internal sealed unsafe partial class ExecutableMemory
{
    private const int ProtectRead = 1;
    private const int ProtectWrite = 2;
    private const int ProtectExecute = 4;
    private const int MapPrivate = 2;
    private const int LinuxMapAnonymous = 0x20;
    private const int MacMapAnonymous = 0x1000;
    private const uint WindowsCommitReserve = 0x3000;
    private const uint WindowsRelease = 0x8000;
    private const uint WindowsReadWrite = 0x04;
    private const uint WindowsExecuteRead = 0x20;

    private ExecutableMemory(byte* start, long length)
    {
        Start = start;
        Length = length;
    }

    /// <summary>The first byte of the code.</summary>
    public byte* Start { get; }

    /// <summary>Bytes mapped (whole pages).</summary>
    public long Length { get; }

    /// <summary>
    /// Copies <paramref name="code"/> into fresh memory and makes it executable; null when the OS does
    /// not allow it, with <paramref name="failure"/> naming the call and its error (e.g. "mprotect(PROT_READ|PROT_EXEC) refused: errno 13, Permission denied").
    /// </summary>
    public static ExecutableMemory? TryCreate(ReadOnlySpan<byte> code, out string? failure)
    {
        var length = (code.Length + 4095L) & ~4095L;
        byte* memory;
        if (OperatingSystem.IsWindows())
        {
            memory = (byte*)VirtualAlloc(null, (nuint)length, WindowsCommitReserve, WindowsReadWrite);
            if (memory == null)
            {
                failure = Failed("VirtualAlloc(PAGE_READWRITE) failed", "error");
                return null;
            }
            code.CopyTo(new Span<byte>(memory, code.Length));
            if (!VirtualProtect(memory, (nuint)length, WindowsExecuteRead, out _))
            {
                failure = Failed("VirtualProtect(PAGE_EXECUTE_READ) refused", "error");
                VirtualFree(memory, 0, WindowsRelease);
                return null;
            }
            failure = null;
            return new ExecutableMemory(memory, length);
        }
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            failure = $"no executable memory on {RuntimeInformation.OSDescription} (Linux, macOS and Windows have it)";
            return null;
        }
        var anonymous = OperatingSystem.IsMacOS() ? MacMapAnonymous : LinuxMapAnonymous;
        memory = (byte*)mmap(null, (nuint)length, ProtectRead | ProtectWrite, MapPrivate | anonymous, -1, 0);
        if (memory == null || memory == (byte*)-1)
        {
            failure = Failed("mmap(PROT_READ|PROT_WRITE) failed", "errno");
            return null;
        }
        code.CopyTo(new Span<byte>(memory, code.Length));
        if (mprotect(memory, (nuint)length, ProtectRead | ProtectExecute) != 0)
        {
            failure = Failed("mprotect(PROT_READ|PROT_EXEC) refused", "errno");
            munmap(memory, (nuint)length);
            return null;
        }
        failure = null;
        return new ExecutableMemory(memory, length);
    }

    /// <summary>The failed call and the error the OS gave for it (read before any other call can change it).</summary>
    private static string Failed(string call, string kind)
    {
        var error = Marshal.GetLastPInvokeError();
        return $"{call}: {kind} {error}, {Marshal.GetPInvokeErrorMessage(error)}";
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial void* mmap(void* address, nuint length, int protection, int flags, int descriptor, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mprotect(void* address, nuint length, int protection);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(void* address, nuint length);

    [LibraryImport("kernel32", SetLastError = true)]
    private static partial void* VirtualAlloc(void* address, nuint size, uint allocationType, uint protection);

    [LibraryImport("kernel32", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool VirtualProtect(void* address, nuint size, uint protection, out uint oldProtection);

    [LibraryImport("kernel32", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool VirtualFree(void* address, nuint size, uint freeType);
}
