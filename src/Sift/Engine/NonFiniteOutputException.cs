namespace Sift.Engine;

/// <summary>
/// The model gave NaN or infinity for an input. JSON has no such numbers, so nothing is written:
/// the server answers 500 (its log has <see cref="Explanation"/>), the CLI exits 1 with the message,
/// and an upsert stores nothing.
/// </summary>
public sealed class NonFiniteOutputException(string model, int input, string explanation)
    : Exception($"the model produced NaN or infinity for input {input}: {explanation}")
{
    /// <summary>The model's name.</summary>
    public string Model { get; } = model;

    /// <summary>The position of the input whose output was not finite.</summary>
    public int Input { get; } = input;

    /// <summary>What produced the value, as far as the engine can tell (<see cref="Qwen3.Qwen3Model.ExplainNonFinite"/>).</summary>
    public string Explanation { get; } = explanation;

    /// <summary>Throws for the first vector holding NaN or infinity.</summary>
    /// <param name="model">The model's name.</param>
    /// <param name="vectors">Each input's output.</param>
    /// <param name="explain">Explains input i's non-finite output (only called on failure).</param>
    public static void ThrowIfAny(string model, IReadOnlyList<float[]> vectors, Func<int, string> explain)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(explain);
        for (var i = 0; i < vectors.Count; i++)
        {
            if (!Qwen3.WeightReader.IsFinite(vectors[i]))
            {
                throw new NonFiniteOutputException(model, i, explain(i));
            }
        }
    }
}
