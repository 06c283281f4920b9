namespace Sift.Retrieval;

/// <summary>Embeddings of a list of inputs, in order, and the tokens the model read for them.</summary>
/// <param name="Vectors">One unit vector per input.</param>
/// <param name="TokenCount">Tokens read, end-of-text included.</param>
public sealed record TextEmbeddings(float[][] Vectors, int TokenCount);
