using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Switchboard.DurableWork;

/// <summary>The host's one store: opened by <see cref="WorkStoreOpener"/>, disposed by the container.</summary>
internal sealed class WorkStoreHost(WorkStoreOpening open, IReadOnlyList<(string Component, IReadOnlyList<string> Migrations)> migrations) : IAsyncDisposable
{
    private IWorkStore? _store;

    public IWorkStore Store => Volatile.Read(ref _store) ?? throw new InvalidOperationException(
        "the work store is opened when the host starts: resolve IWorkStore (or a service that needs it) after the host has started");

    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        if (_store is not null)
        {
            return;
        }

        var store = await open(cancellationToken);
        try
        {
            foreach (var (component, list) in migrations)
            {
                await store.MigrateAsync(component, list, cancellationToken);
            }
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }

        Volatile.Write(ref _store, store);
    }

    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _store, null) is { } store ? store.DisposeAsync() : ValueTask.CompletedTask;
}

/// <summary>
/// Opens the store in <see cref="IHostedLifecycleService.StartingAsync"/>, which the host calls before any hosted service's
/// StartAsync (the web server's included), so everything that starts finds it open. The store is built here too, not when
/// the host makes its hosted services: after the host has validated the options that building it may read.
/// </summary>
internal sealed class WorkStoreOpener(IServiceProvider services) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => services.GetRequiredService<WorkStoreHost>().OpenAsync(cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
