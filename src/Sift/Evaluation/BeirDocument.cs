namespace Sift.Evaluation;

/// <summary>One line of corpus.jsonl.</summary>
/// <param name="Id">"_id".</param>
/// <param name="Title">"title" (empty when absent).</param>
/// <param name="Text">"text".</param>
public sealed record BeirDocument(string Id, string Title, string Text)
{
    /// <summary>The text a retriever indexes: title and text joined by a space, as BEIR's dense retrievers do.</summary>
    public string IndexText => Title.Length == 0 ? Text.Trim() : $"{Title} {Text}".Trim();
}
