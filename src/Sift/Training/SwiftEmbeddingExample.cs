namespace Sift.Training;

/// <summary>
/// One line of ms-swift's embedding training data for InfoNCE (<c>swift sft --task_type embedding
/// --loss_type infonce</c>): an anchor, its positive, and hard negatives.
/// </summary>
/// <param name="Query">The anchor as the model reads it. ms-swift's qwen3_emb template adds only the
/// trailing &lt;|endoftext|&gt;, so a query carries its instruction (<c>Instruct: {task}\nQuery:{query}</c>)
/// exactly as Sift embeds queries.</param>
/// <param name="Response">The positive document.</param>
/// <param name="RejectedResponses">Hard negatives: documents the model ranks high that do not answer the query.</param>
public sealed record SwiftEmbeddingExample(string Query, string Response, IReadOnlyList<string> RejectedResponses);
