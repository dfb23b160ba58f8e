using Switchboard.DurableWork;

namespace Switchboard.Testing;

/// <summary>A <see cref="WorkQueueWorker"/> run by hand, as the host runs it: started at once, stopped (and awaited) on dispose.</summary>
public sealed class RunningWorker : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    private RunningWorker(WorkQueueWorker worker) => _running = worker.RunAsync(_stop.Token);

    public static RunningWorker Start(WorkQueueWorker worker) => new(worker);

    /// <summary>Stops the worker and waits until it has given back what it held; again is a no-op.</summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await _running;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}
