using Sift.Server.Errors;

namespace Sift.Server.Hosting;

/// <summary>
/// Admission control: at most --max-concurrent-requests model requests in flight; more get 429
/// with Retry-After at once instead of queueing without bound. Health, readiness and metrics are exempt.
/// </summary>
internal sealed class ConcurrencyLimitMiddleware(RequestDelegate next, ServerOptions options)
{
    private int _inFlight;

    public async Task InvokeAsync(HttpContext context)
    {
        if (HttpMethods.IsGet(context.Request.Method))
        {
            await next(context);
            return;
        }
        if (Interlocked.Increment(ref _inFlight) > options.MaxConcurrentRequests)
        {
            Interlocked.Decrement(ref _inFlight);
            await ErrorShape.WriteAsync(context, StatusCodes.Status429TooManyRequests,
                $"the server is at its limit of {options.MaxConcurrentRequests} concurrent requests; retry shortly", null, "overloaded");
            return;
        }
        try
        {
            await next(context);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
