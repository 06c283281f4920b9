using System.IO.MemoryMappedFiles;

namespace Sift.Checkpoints;

/// <summary>A whole file mapped read-only into memory, with a stable pointer until disposed.</summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private bool _disposed;

    public MappedFile(string path)
    {
        Path = path;
        // A hub cache snapshot holds symlinks to blobs; the length must be the blob's, not the link's.
        var info = new FileInfo(path);
        Length = info.LinkTarget is null ? info.Length : ((FileInfo?)info.ResolveLinkTarget(returnFinalTarget: true))?.Length ?? info.Length;
        if (Length == 0)
        {
            return;
        }
        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, 0, MemoryMappedFileAccess.Read);
        _view = _map.CreateViewAccessor(0, Length, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        Pointer = pointer + _view.PointerOffset;
    }

    public string Path { get; }

    public long Length { get; }

    public byte* Pointer { get; }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
    }
}
