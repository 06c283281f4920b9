namespace Sift.Engine;

/// <summary>One thing to embed: a document, a query (formatted with an instruction), or token ids.</summary>
public sealed record EmbeddingInput
{
    private EmbeddingInput(string? text, IReadOnlyList<int>? tokenIds, bool isQuery, string? instruction)
    {
        Text = text;
        TokenIds = tokenIds;
        IsQuery = isQuery;
        Instruction = instruction;
    }

    /// <summary>The raw text, when the input is text.</summary>
    public string? Text { get; }

    /// <summary>Token ids given by the caller instead of text.</summary>
    public IReadOnlyList<int>? TokenIds { get; }

    /// <summary>Whether the text is a query, formatted as <c>Instruct: {task}\nQuery:{text}</c>.</summary>
    public bool IsQuery { get; }

    /// <summary>The task of a query; null means <see cref="Prompts.DefaultInstruction"/>.</summary>
    public string? Instruction { get; }

    /// <summary>A document: embedded as written.</summary>
    public static EmbeddingInput Document(string text) => new(text ?? throw new ArgumentNullException(nameof(text)), null, false, null);

    /// <summary>A query with a task (the default task when <paramref name="instruction"/> is null).</summary>
    public static EmbeddingInput Query(string text, string? instruction = null) =>
        new(text ?? throw new ArgumentNullException(nameof(text)), null, true, instruction);

    /// <summary>Token ids, used as given (the end-of-text token is still ensured).</summary>
    public static EmbeddingInput Tokens(IReadOnlyList<int> tokenIds) =>
        new(null, tokenIds ?? throw new ArgumentNullException(nameof(tokenIds)), false, null);

    /// <summary>The text the model reads: the query prompt or the document.</summary>
    public string? PromptText => Text is null ? null : IsQuery ? Prompts.EmbeddingQuery(Text, Instruction) : Text;
}
