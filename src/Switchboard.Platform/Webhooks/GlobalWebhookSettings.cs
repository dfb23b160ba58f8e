using Switchboard.DurableWork;

namespace Switchboard.Platform.Webhooks;

/// <summary>Reads and changes the account's global webhook URLs (see <see cref="GlobalWebhooks"/>).</summary>
public sealed class GlobalWebhookSettings(IWorkStore store)
{
    public Task<GlobalWebhooks> GetAsync(CancellationToken cancellationToken = default) =>
        store.ReadAsync(reader => GlobalWebhooks.ReadAsync(reader), cancellationToken);

    public async Task<GlobalWebhooks> SetAsync(GlobalWebhooks webhooks, CancellationToken cancellationToken = default)
    {
        await webhooks.SaveAsync(store, cancellationToken);
        return webhooks;
    }
}
