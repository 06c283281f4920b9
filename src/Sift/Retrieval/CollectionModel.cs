namespace Sift.Retrieval;

/// <summary>The one rule that keeps a collection's vectors comparable: only the model it was built with may write or search it.</summary>
public static class CollectionModel
{
    /// <summary>
    /// Refuses (409) writing into a collection whose settings are no longer the ones the documents were
    /// chunked and embedded for: it was deleted and re-created under the same name while they were.
    /// </summary>
    public static void RequireUnchanged(CollectionSettings expected, CollectionSettings current)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(current);
        if (expected != current)
        {
            throw RetrievalException.Conflict(
                $"collection '{current.Name}' was re-created while this upsert was embedded (it was {Describe(expected)}, it is {Describe(current)}); "
                + "nothing was written: send the documents again", "name", "collection_changed");
        }
    }

    /// <summary>Refuses (409) a query vector of another width than the collection's (it was re-created since the search looked it up).</summary>
    public static void RequireDimensions(CollectionSettings current, int queryDimensions)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (queryDimensions != current.Dimensions)
        {
            throw RetrievalException.Conflict(
                $"collection '{current.Name}' now holds {current.Dimensions}-dimensional vectors, not the {queryDimensions} this search embedded its query at "
                + "(it was re-created meanwhile); search again", "name", "collection_changed");
        }
    }

    private static string Describe(CollectionSettings settings) =>
        $"model '{settings.Model}', {settings.Dimensions} dimensions, {settings.ChunkTokens}-token chunks overlapping by {settings.ChunkOverlap}";

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
