namespace Sift.Hub;

/// <summary>A model that cannot be found or fetched; the message names the id, file or setting at fault.</summary>
public sealed class HubException(string message, Exception? inner = null) : Exception(message, inner);
