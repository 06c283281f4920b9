namespace Sift.Retrieval.Stores.Embedded;

/// <summary>A stored vector's key and its exact cosine similarity to a query.</summary>
/// <param name="Key">The chunk's key.</param>
/// <param name="Score">Dot product of the two unit vectors, in float32.</param>
public readonly record struct VectorHit(long Key, float Score);
