using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Sift.Engine;
using Sift.Server.Metrics;
using Sift.Tokenization;

namespace Sift.Server.Errors;

/// <summary>
/// Maps every failure to one JSON error in the route's shape, so no stack trace reaches a client
/// and the server keeps serving; also writes the one log line per request and its metrics.
/// </summary>
internal sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger, ServerMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await next(context);
            await DescribeEmptyRoutingErrorAsync(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody reads a response. 499 is nginx's name for this, for logs and metrics.
            context.Response.StatusCode = 499;
        }
        catch (ApiException e)
        {
            await ErrorShape.WriteAsync(context, e.Status, e.Message, e.Param, e.Code);
        }
        catch (Sift.Retrieval.RetrievalException e)
        {
            await ErrorShape.WriteAsync(context, e.Status, e.Message, e.Param, e.Code);
        }
        catch (SiftRequestException e)
        {
            await ErrorShape.WriteAsync(context, StatusCodes.Status400BadRequest, e.Message, e.Param, e.Code);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
            await ErrorShape.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, $"the request body is larger than the {limit} byte limit", null, "payload_too_large");
        }
        catch (BadHttpRequestException e)
        {
            await ErrorShape.WriteAsync(context, e.StatusCode, $"bad request: {e.Message}");
        }
        catch (JsonException e)
        {
            await ErrorShape.WriteAsync(context, StatusCodes.Status400BadRequest, $"the body is not valid JSON: {e.Message}", null, "invalid_json");
        }
        catch (TokenizerException e)
        {
            await ErrorShape.WriteAsync(context, StatusCodes.Status400BadRequest, e.Message);
        }
        catch (NonFiniteOutputException e)
        {
            LogNonFinite(logger, e.Model, e.Input, context.Request.Path, e.Explanation);
            // The explanation names weights and token ids: the log has it, the client gets where to look.
            await ErrorShape.WriteAsync(context, StatusCodes.Status500InternalServerError,
                $"the model produced NaN or infinity for input {e.Input}; the server log has the details", null, "non_finite_output");
        }
        catch (Exception e)
        {
            LogUnexpected(logger, e, context.Request.Path);
            await ErrorShape.WriteAsync(context, StatusCodes.Status500InternalServerError, "internal error; the server log has the details");
        }
        finally
        {
            var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
            var route = context.GetEndpoint() is RouteEndpoint endpoint ? $"{context.Request.Method} {endpoint.RoutePattern.RawText}" : "unmatched";
            metrics.RecordRequest(route, context.Response.StatusCode, seconds);
            var stats = context.Features.Get<RequestStats>();
            LogRequest(logger, context.Request.Method, context.Request.Path, context.Response.StatusCode, stats?.Inputs ?? 0, stats?.Tokens ?? 0,
                stats?.QueueMilliseconds ?? 0, stats?.ComputeMilliseconds ?? 0, seconds * 1000);
        }
    }

    /// <summary>
    /// Routing's own 404 (no such route) and 405 (the route takes another method) come without a
    /// body; they get the route's JSON error like every other refusal, naming the method and path.
    /// </summary>
    private static async Task DescribeEmptyRoutingErrorAsync(HttpContext context)
    {
        var response = context.Response;
        if (response.HasStarted || response.ContentType is not null || HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }
        var request = $"{context.Request.Method} {context.Request.Path}";
        if (response.StatusCode == StatusCodes.Status404NotFound)
        {
            await ErrorShape.WriteAsync(context, StatusCodes.Status404NotFound, $"no route for {request}", null, "route_not_found");
        }
        else if (response.StatusCode == StatusCodes.Status405MethodNotAllowed)
        {
            var allowed = response.Headers.Allow.ToString();
            await ErrorShape.WriteAsync(context, StatusCodes.Status405MethodNotAllowed,
                $"{request}: the route takes {(allowed.Length > 0 ? allowed : "another method")}", null, "method_not_allowed");
        }
    }

    [LoggerMessage(EventId = 6, Level = LogLevel.Error, Message = "{Model} produced NaN or infinity for input {Input} on {Path}: {Explanation}")]
    private static partial void LogNonFinite(ILogger logger, string model, int input, string path, string explanation);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "unexpected failure on {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "{Method} {Path} {Status} inputs={Inputs} tokens={Tokens} queue_ms={QueueMs:F1} compute_ms={ComputeMs:F1} total_ms={TotalMs:F1}")]
    private static partial void LogRequest(ILogger logger, string method, string path, int status, int inputs, int tokens,
        double queueMs, double computeMs, double totalMs);
}
