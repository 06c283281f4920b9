using System.Runtime.InteropServices;

namespace Sift.Kernels.Emitted;

/// <summary>
/// A page-aligned block of native memory that holds machine code: written while read-write, then
/// switched to read-execute (never writable and executable at once). Null where the OS refuses
/// (hardened kernels without execmem) or is not supported here (Linux, macOS and Windows on x64 are).
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

    /// <summary>Copies <paramref name="code"/> into fresh memory and makes it executable; null when the OS does not allow it.</summary>
    public static ExecutableMemory? TryCreate(ReadOnlySpan<byte> code)
    {
        var length = (code.Length + 4095L) & ~4095L;
        byte* memory;
        if (OperatingSystem.IsWindows())
        {
            memory = (byte*)VirtualAlloc(null, (nuint)length, WindowsCommitReserve, WindowsReadWrite);
            if (memory == null)
            {
                return null;
            }
            code.CopyTo(new Span<byte>(memory, code.Length));
            return VirtualProtect(memory, (nuint)length, WindowsExecuteRead, out _) ? new ExecutableMemory(memory, length) : null;
        }
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return null;
        }
        var anonymous = OperatingSystem.IsMacOS() ? MacMapAnonymous : LinuxMapAnonymous;
        memory = (byte*)mmap(null, (nuint)length, ProtectRead | ProtectWrite, MapPrivate | anonymous, -1, 0);
        if (memory == null || memory == (byte*)-1)
        {
            return null;
        }
        code.CopyTo(new Span<byte>(memory, code.Length));
        if (mprotect(memory, (nuint)length, ProtectRead | ProtectExecute) != 0)
        {
            munmap(memory, (nuint)length);
            return null;
        }
        return new ExecutableMemory(memory, length);
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
}
