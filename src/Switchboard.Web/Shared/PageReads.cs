using Microsoft.AspNetCore.Http;

namespace Switchboard.Web.Shared;

/// <summary>
/// The pages' share of the thread pool: every page request and every live render runs through here, a few at a time
/// (half the cores, at least one). Their database reads are synchronous underneath (Microsoft.Data.Sqlite's async
/// methods block), so without this bound many open pages would hold every thread-pool thread and the API and
/// <c>/healthz</c> behind them would wait. Waiting for a turn holds no thread.
/// </summary>
internal sealed class PageReads : IEndpointFilter
{
    private readonly SemaphoreSlim _turns;

    public PageReads(int concurrency) => _turns = new SemaphoreSlim(concurrency, concurrency);

    public static int DefaultConcurrency => Math.Max(1, Environment.ProcessorCount / 2);

    public async Task<T> RunAsync<T>(Func<Task<T>> read, CancellationToken cancellationToken)
    {
        await _turns.WaitAsync(cancellationToken);
        try
        {
            return await read();
        }
        finally
        {
            _turns.Release();
        }
    }

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        await RunAsync(() => next(context).AsTask(), context.HttpContext.RequestAborted);
}
