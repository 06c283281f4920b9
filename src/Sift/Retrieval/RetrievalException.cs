namespace Sift.Retrieval;

/// <summary>
/// A retrieval request that cannot be served as asked: an unknown collection (404), a name or a
/// model that conflicts (409), bad input (400), or a database that cannot take it (503). It carries
/// its HTTP status; the server maps it to the API's error shape in one place.
/// </summary>
public sealed class RetrievalException(int status, string message, string? param = null, string code = "invalid_request", Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>The HTTP status the server answers with.</summary>
    public int Status { get; } = status;

    /// <summary>The request field at fault, if any.</summary>
    public string? Param { get; } = param;

    /// <summary>A stable machine-readable reason, such as "collection_not_found".</summary>
    public string Code { get; } = code;

    /// <summary>400: the request itself is wrong.</summary>
    public static RetrievalException BadRequest(string message, string? param = null, string code = "invalid_request") => new(400, message, param, code);

    /// <summary>404: no such collection.</summary>
    public static RetrievalException CollectionNotFound(string name) =>
        new(404, $"collection '{name}' does not exist", "name", "collection_not_found");

    /// <summary>404: no such document in the collection.</summary>
    public static RetrievalException DocumentNotFound(string collection, string id) =>
        new(404, $"collection '{collection}' has no document '{id}'", "id", "document_not_found");

    /// <summary>409: the request conflicts with what the collection already is.</summary>
    public static RetrievalException Conflict(string message, string? param, string code) => new(409, message, param, code);

    /// <summary>503: the database cannot be reached or cannot take the write; nothing was acknowledged.</summary>
    public static RetrievalException Unavailable(string message, Exception? inner = null) => new(503, message, null, "store_unavailable", inner);
}
