using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Receiver;
using Switchboard.Receiver.Inbox;
using Switchboard.Receiver.Redis;

// Beside AddTelnyxWebhooks, so that no extra using is needed.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Redis for the Telnyx webhook receiver.</summary>
public static class TelnyxWebhooksRedisExtensions
{
    /// <summary>
    /// Keeps a cache of recently stored event ids in Redis (SET NX, kept twice the tolerance plus 5 minutes), in front of the
    /// database, so most duplicates are answered without a database write. The database stays the truth: an id is
    /// remembered only after it was stored, and Redis trouble (down, or hung past its 1 s timeout) never fails a request.
    /// </summary>
    /// <param name="configuration">A StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c>.</param>
    public static TelnyxWebhooksBuilder UseRedis(this TelnyxWebhooksBuilder builder, string configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        builder.Services.Replace(ServiceDescriptor.Singleton<IRecentEventIds>(sp => new RedisRecentEventIds(
            configuration, sp.GetRequiredService<IOptions<TelnyxWebhookOptions>>(), sp.GetRequiredService<ILogger<RedisRecentEventIds>>())));
        return builder;
    }
}
