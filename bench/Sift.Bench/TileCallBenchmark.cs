using System.Runtime.InteropServices;
using System.Text.Json;
using Sift.Kernels;
using Sift.Kernels.Emitted;

namespace Sift.Bench;

/// <summary>
/// What <c>SuppressGCTransition</c> saves on the emitted int8 tile's call (<see cref="EmittedKernels.RunBytes"/>):
/// the 4-row tile called through a function pointer with and without the attribute, at the panel
/// depths of one block, the 0.6B model's hidden size, its down projection and the 8B's, in
/// alternating rounds, thread CPU time per call.
/// </summary>
internal static unsafe class TileCallBenchmark
{
    private const int Rows = 4;
    private const int Rounds = 12;
    private static readonly TimeSpan RoundBudget = TimeSpan.FromMilliseconds(40);

    /// <summary>The wide rows' layout (blocks of 128), which every Qwen3 size's int8 GEMMs use.</summary>
    private static readonly Int8Layout Layout = Int8Layout.ForByteActivations(Int8Layout.WideBlockSize);

    public static void Run(BenchOptions options)
    {
        if (!EmittedKernels.HasVnniTile)
        {
            throw new InvalidOperationException($"no emitted int8 tile in this process: {EmittedKernels.UnavailableReason}");
        }
        var memory = ExecutableMemory.TryCreate(VnniTileEmitter.Emit(Rows, Layout, OperatingSystem.IsWindows()), out var failure)
            ?? throw new InvalidOperationException(failure);
        var tile = (nint)memory.Start;
        var random = new Random(7);
        foreach (var blocks in new[] { 1, 8, 24, 96 })   // k = 128, 1024 (0.6B hidden), 3072 (its intermediate), 12288 (8B intermediate)
        {
            var blockBytes = Layout.PanelBlockBytes(VnniTileEmitter.PanelColumns);
            var panel = (byte*)NativeMemory.AlignedAlloc((nuint)(blocks * blockBytes), 64);
            var activations = (byte*)NativeMemory.AlignedAlloc((nuint)(Rows * blocks * Layout.BlockSize), 64);
            var scales = (float*)NativeMemory.AlignedAlloc((nuint)(Rows * blocks * sizeof(float)), 64);
            var totals = (float*)NativeMemory.AlignedAlloc(Rows * VnniTileEmitter.PanelColumns * sizeof(float), 64);
            try
            {
                random.NextBytes(new Span<byte>(panel, blocks * blockBytes));
                for (var i = 0; i < Rows * blocks * Layout.BlockSize; i++)
                {
                    activations[i] = (byte)random.Next(1, 128);
                }
                for (var i = 0; i < Rows * blocks; i++)
                {
                    scales[i] = (float)random.NextDouble();
                }
                var arguments = TileArguments.Create(activations, blocks * Layout.BlockSize, scales, blocks, panel, blocks, totals);
                // Calls per round: about RoundBudget of work at a first estimate.
                var calls = (int)Math.Clamp(1000 * RoundBudget.TotalSeconds / Math.Max(Seconds(tile, &arguments, 1000, suppress: true), 1e-6), 1000, 50_000_000);
                var withSuppression = new List<double>();
                var withTransition = new List<double>();
                for (var round = 0; round < Rounds; round++)
                {
                    withSuppression.Add(Seconds(tile, &arguments, calls, suppress: true) * 1e9 / calls);
                    withTransition.Add(Seconds(tile, &arguments, calls, suppress: false) * 1e9 / calls);
                }
                withSuppression.Sort();
                withTransition.Sort();
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    workload = "tile-call",
                    kernel_path = KernelPath.Current.Name,
                    rows = Rows,
                    k = blocks * Layout.BlockSize,
                    calls_per_round = calls,
                    rounds = Rounds,
                    suppress_gc_transition_ns = new { min = Math.Round(withSuppression[0], 1), median = Math.Round(withSuppression[Rounds / 2], 1) },
                    gc_transition_ns = new { min = Math.Round(withTransition[0], 1), median = Math.Round(withTransition[Rounds / 2], 1) },
                    saved_ns_median = Math.Round(withTransition[Rounds / 2] - withSuppression[Rounds / 2], 1),
                    saved_share_median = Math.Round(1 - withSuppression[Rounds / 2] / withTransition[Rounds / 2], 4),
                }));
            }
            finally
            {
                NativeMemory.AlignedFree(panel);
                NativeMemory.AlignedFree(activations);
                NativeMemory.AlignedFree(scales);
                NativeMemory.AlignedFree(totals);
            }
        }
    }

    /// <summary>Thread CPU time of <paramref name="calls"/> calls of the tile, through a pointer with or without SuppressGCTransition.</summary>
    private static double Seconds(nint tile, TileArguments* arguments, int calls, bool suppress)
    {
        var start = ThreadClock.Seconds();
        if (suppress)
        {
            var call = (delegate* unmanaged[SuppressGCTransition]<TileArguments*, void>)tile;
            for (var i = 0; i < calls; i++)
            {
                call(arguments);
            }
        }
        else
        {
            var call = (delegate* unmanaged<TileArguments*, void>)tile;
            for (var i = 0; i < calls; i++)
            {
                call(arguments);
            }
        }
        return ThreadClock.Seconds() - start;
    }
}
