using Sift.Kernels;

namespace Sift.Bench;

/// <summary>Packs benchmark weights held as fp32 arrays in a chosen format.</summary>
internal static class WeightPacking
{
    public static PackedMatrix Pack(WeightFormat format, int rows, int columns, float[] weights, WorkerPool pool) =>
        PackedMatrix.Pack(format, rows, columns, (row, destination) => weights.AsSpan((int)((long)row * columns), columns).CopyTo(destination), pool);

    public static PackedMatrix PackGateUp(WeightFormat format, int features, int columns, float[] gate, float[] up, WorkerPool pool) =>
        PackedMatrix.PackGateUp(format, features, columns,
            (row, destination) => gate.AsSpan((int)((long)row * columns), columns).CopyTo(destination),
            (row, destination) => up.AsSpan((int)((long)row * columns), columns).CopyTo(destination), pool);
}
