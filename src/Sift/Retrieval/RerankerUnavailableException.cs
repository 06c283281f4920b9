namespace Sift.Retrieval;

/// <summary>
/// Thrown by an <see cref="IPassageReranker"/> that cannot score now for a reason that is not a
/// fault of its own (not loaded, overloaded): the search pipeline falls back to the first stage's
/// order with <see cref="Reason"/> as its <c>fallback_reason</c>.
/// </summary>
/// <param name="reason">One of <see cref="FallbackReason"/>'s values.</param>
/// <param name="message">What happened, for the log.</param>
/// <param name="inner">The failure it stands for, if any.</param>
public sealed class RerankerUnavailableException(string reason, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The <see cref="FallbackReason"/> a search reports.</summary>
    public string Reason { get; } = reason;
}
