using Sift.Server.Errors;
using Sift.Server.Hosting;

namespace Sift.Server.Routes;

/// <summary>The limits every route applies the same way, with the same messages.</summary>
internal static class RequestLimits
{
    /// <summary>At most --max-client-batch-size inputs (or documents, or id lists) per request.</summary>
    public static void CheckBatchSize(int count, ServerOptions options, string field, string noun = "inputs")
    {
        if (count > options.MaxClientBatchSize)
        {
            throw ApiException.BadRequest($"'{field}' has {count} {noun}; the limit is {options.MaxClientBatchSize} (--max-client-batch-size)",
                field, "too_many_inputs");
        }
    }

    /// <summary>Refuses an input known to have more than <paramref name="counted"/> tokens.</summary>
    public static void RefuseLonger(int index, int counted, int maxLength, string field) =>
        throw ApiException.BadRequest($"input {index} has more than {counted} tokens; the limit is {maxLength} (--max-input-length)", field, "input_too_long");

    /// <summary>At most the model's input length (--max-input-length) tokens per input.</summary>
    public static void CheckLength(int index, int tokens, int maxLength, string field)
    {
        if (tokens > maxLength)
        {
            throw ApiException.BadRequest($"input {index} has {tokens} tokens; the limit is {maxLength} (--max-input-length)", field, "input_too_long");
        }
    }
}
