namespace Sift.Retrieval;

/// <summary>The one rule that keeps a collection's vectors comparable: only the model it was built with may write or search it.</summary>
public static class CollectionModel
{
    /// <summary>Refuses (409) an embedder other than the collection's.</summary>
    public static void Require(CollectionInfo collection, ITextEmbedder embedder)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(embedder);
        if (collection.Settings.Model != embedder.ModelName)
        {
            throw RetrievalException.Conflict(
                $"collection '{collection.Name}' was built with the embedding model '{collection.Settings.Model}'; this request uses '{embedder.ModelName}', "
                + "and vectors of different models cannot be compared (serve that model, or create another collection)",
                "model", "model_mismatch");
        }
        if (collection.Settings.Dimensions > embedder.MaxDimensions)
        {
            throw RetrievalException.Conflict(
                $"collection '{collection.Name}' holds {collection.Settings.Dimensions}-dimensional vectors; '{embedder.ModelName}' makes at most {embedder.MaxDimensions}",
                "dimensions", "dimensions_mismatch");
        }
    }
}
