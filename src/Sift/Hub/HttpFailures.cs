using System.Net;

namespace Sift.Hub;

/// <summary>Turns hub HTTP failures into messages that say what to do.</summary>
internal static class HttpFailures
{
    public static HubException Describe(HttpResponseMessage response, ModelReference model, string? file, HubOptions options)
    {
        var what = file is null ? $"'{model.Id}' at revision '{model.Revision}'" : $"'{file}' of '{model.Id}'";
        var tokenVariable = options.Kind == HubKind.ModelScope ? "MODELSCOPE_API_TOKEN" : "HF_TOKEN";
        return response.StatusCode switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new HubException(
                $"{options.Endpoint} refused access to {what} ({(int)response.StatusCode}): the repository is gated or private; "
                + (options.Token is null ? $"set {tokenVariable} to a token that may read it" : $"the token in {tokenVariable} may not read it")),
            HttpStatusCode.NotFound => new HubException(
                $"{options.Endpoint} has no {what} (404): check the id{(file is null ? " and revision" : "")}"),
            _ => new HubException($"{options.Endpoint} answered {(int)response.StatusCode} {response.ReasonPhrase} for {what}"),
        };
    }
}
