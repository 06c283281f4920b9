namespace Sift.Kernels;

/// <summary>
/// The work of one parallel loop, as a struct so that the pool calls it without allocating
/// a delegate or closure. Index order across threads is not fixed, so a body's result for one
/// index must not depend on which thread runs it or what ran before.
/// </summary>
internal interface IParallelBody
{
    /// <summary>Runs item <paramref name="index"/> on worker <paramref name="worker"/> (0 = the calling thread).</summary>
    void Execute(int index, int worker);
}
