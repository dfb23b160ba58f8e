using Microsoft.AspNetCore.Http;

namespace Switchboard.Web.Shared;

/// <summary>
/// The pages' share of the thread pool: every page request and every live render runs through here, a few at a time
/// (half the cores, at least one). Their database reads are synchronous underneath (Microsoft.Data.Sqlite's async
/// methods block), so without this bound many open pages would hold every thread-pool thread and the API and
/// <c>/healthz</c> behind them would wait. Waiting for a turn holds no thread. A page request goes before the live
/// renders waiting, so a page still opens while many streams are open.
/// </summary>
internal sealed class PageReads : IEndpointFilter
{
    private readonly SemaphoreSlim _turns;
    private int _pagesWaiting;

    public PageReads(int concurrency) => _turns = new SemaphoreSlim(concurrency, concurrency);

    public static int DefaultConcurrency => Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>A page request's reads, ahead of every live render waiting.</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> read, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _pagesWaiting);
        try
        {
            await _turns.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _pagesWaiting);
        }

        return await ReadAndReleaseAsync(read);
    }

    /// <summary>A live render's reads, after the page requests waiting.</summary>
    public async Task<T> RunLiveAsync<T>(Func<Task<T>> read, CancellationToken cancellationToken)
    {
        await _turns.WaitAsync(cancellationToken);
        // Turns are handed out in order: giving this one back and waiting again puts this render behind a waiting page.
        while (Volatile.Read(ref _pagesWaiting) > 0)
        {
            _turns.Release();
            await _turns.WaitAsync(cancellationToken);
        }

        return await ReadAndReleaseAsync(read);
    }

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        await RunAsync(() => next(context).AsTask(), context.HttpContext.RequestAborted);

    private async Task<T> ReadAndReleaseAsync<T>(Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        finally
        {
            _turns.Release();
        }
    }
}
