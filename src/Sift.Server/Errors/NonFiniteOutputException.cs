namespace Sift.Server.Errors;

/// <summary>
/// The model gave NaN or infinity for an input. JSON has no such numbers, so the request is
/// answered 500 before anything is written, and the log says what produced the value.
/// </summary>
internal sealed class NonFiniteOutputException(string model, int input, string explanation)
    : Exception($"the model produced NaN or infinity for input {input}; the server log has the details")
{
    public string Model { get; } = model;

    public int Input { get; } = input;

    /// <summary>What produced the value, as far as the engine can tell.</summary>
    public string Explanation { get; } = explanation;

    /// <summary>Throws for the first vector holding NaN or infinity.</summary>
    /// <param name="model">The served model's name.</param>
    /// <param name="vectors">Each input's output.</param>
    /// <param name="explain">Explains input i's non-finite output (only called on failure).</param>
    public static void ThrowIfAny(string model, IReadOnlyList<float[]> vectors, Func<int, string> explain)
    {
        for (var i = 0; i < vectors.Count; i++)
        {
            if (!float.IsFinite(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude<float>(vectors[i])))
            {
                throw new NonFiniteOutputException(model, i, explain(i));
            }
        }
    }
}
