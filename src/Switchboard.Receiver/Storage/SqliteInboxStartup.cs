using Microsoft.Extensions.Hosting;

namespace Switchboard.Receiver.Storage;

/// <summary>
/// Opens the SQLite inbox when the host starts, so a data directory that cannot hold it (not creatable, not writable)
/// stops the start with the reason, instead of the receiver starting and answering every webhook 503. PostgreSQL is
/// still opened on first use: a database server that is not up yet is not a configuration mistake.
/// </summary>
internal sealed class SqliteInboxStartup(ReceiverStorage storage) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!storage.OpensAtStart)
        {
            return;
        }

        try
        {
            await storage.GetStoreAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new WebhookStoreUnavailableException($"the webhook inbox cannot be opened at {storage.Where}: {ex.Message}", ex);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
