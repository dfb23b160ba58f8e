using System.Text.Json;
using Switchboard.DurableWork;
using Switchboard.Platform.Api;
using Switchboard.Platform.Storage;

namespace Switchboard.Platform.Webhooks;

/// <summary>
/// The account-wide webhook URLs (the seed's "global level"): used when neither a message nor its messaging profile has
/// one. Set by <c>serve</c>'s flags at start and changeable at run time (<c>PUT /_switchboard/global_webhooks</c>); kept
/// in the database, so every process of a deployment uses the same.
/// </summary>
public sealed record GlobalWebhooks(string? WebhookUrl, string? WebhookFailoverUrl)
{
    private const string SettingName = "global_webhooks";

    public static GlobalWebhooks None { get; } = new(null, null);

    internal static async ValueTask<GlobalWebhooks> ReadAsync(IWorkReader reader) =>
        await Resources.GetSettingAsync(reader, SettingName) is { } json
            ? JsonSerializer.Deserialize(json, PlatformJson.Default.GlobalWebhooks) ?? None
            : None;

    internal Task SaveAsync(IWorkStore store, CancellationToken cancellationToken) =>
        Resources.SetSettingAsync(store, SettingName, JsonSerializer.Serialize(this, PlatformJson.Default.GlobalWebhooks), cancellationToken);

    /// <summary>Reads <c>webhook_url</c> and <c>webhook_failover_url</c> (both may be null), checking each is an http(s) URL.</summary>
    public static GlobalWebhooks Parse(JsonBody body)
    {
        var url = WebhookUrls.Read(body, "webhook_url");
        var failover = WebhookUrls.Read(body, "webhook_failover_url");
        body.ThrowIfInvalid();
        return new GlobalWebhooks(url, failover);
    }
}
