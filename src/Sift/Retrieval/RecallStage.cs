namespace Sift.Retrieval;

/// <summary>The names a search result gives the recall stage that found it.</summary>
public static class RecallStage
{
    /// <summary>The vector stage alone.</summary>
    public const string Vector = "vector";

    /// <summary>The lexical (keyword) stage alone, in a hybrid search.</summary>
    public const string Lexical = "lexical";

    /// <summary>Both stages, in a hybrid search.</summary>
    public const string Both = "both";
}
