namespace Sift.Evaluation;

/// <summary>A qrels file: relevance grades by query id, then document id, and the judged queries in file order.</summary>
/// <param name="Grades">Grades by query id, then document id.</param>
/// <param name="QueryIds">The judged queries, in the order the file first names them.</param>
public sealed record BeirJudgments(IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Grades, IReadOnlyList<string> QueryIds);
