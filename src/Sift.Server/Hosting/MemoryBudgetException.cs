namespace Sift.Server.Hosting;

/// <summary>The memory budget cannot hold the models: raised at start-up, with what takes the space and the least budget that would do.</summary>
public sealed class MemoryBudgetException(string message) : Exception(message);
