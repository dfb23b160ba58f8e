using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Receiver.Inbox;

namespace Switchboard.Receiver.Redis;

/// <summary>
/// The recent event ids in Redis (see <see cref="IRecentEventIds"/>). Redis problems never fail a request: a miss or an
/// outage (Redis down, or hung past its 1 s timeout) falls through to the database; they are logged and the cache is skipped.
/// </summary>
internal sealed partial class RedisRecentEventIds : IRecentEventIds, IAsyncDisposable
{
    private readonly TelnyxWebhookOptions _options;
    private readonly ILogger<RedisRecentEventIds> _logger;
    private readonly Lazy<Task<ConnectionMultiplexer?>> _redis;

    public RedisRecentEventIds(string configuration, IOptions<TelnyxWebhookOptions> options, ILogger<RedisRecentEventIds> logger)
    {
        _options = options.Value;
        _logger = logger;
        _redis = new(() => ConnectAsync(configuration));
    }

    /// <summary>Kept at least as long as a signed request can be replayed (the tolerance), and then some.</summary>
    private TimeSpan Ttl => _options.Tolerance * 2 + TimeSpan.FromMinutes(5);

    public async ValueTask<bool> SeenRecentlyAsync(string eventId)
    {
        if (await DatabaseAsync() is not { } database)
        {
            return false;
        }

        try
        {
            return await database.KeyExistsAsync(Key(eventId));
        }
        catch (Exception ex) when (IsRedisTrouble(ex))
        {
            LogRedisFailed(_logger, ex);
            return false;
        }
    }

    public async ValueTask RememberAsync(string eventId)
    {
        if (await DatabaseAsync() is not { } database)
        {
            return;
        }

        try
        {
            await database.StringSetAsync(Key(eventId), "1", Ttl, When.NotExists);
        }
        catch (Exception ex) when (IsRedisTrouble(ex))
        {
            LogRedisFailed(_logger, ex);
        }
    }

    private static RedisKey Key(string eventId) => "switchboard:webhook:" + eventId;

    /// <summary>Down (a connection error) or hung (a timeout, which StackExchange.Redis does not derive from RedisException).</summary>
    private static bool IsRedisTrouble(Exception exception) => exception is RedisException or RedisTimeoutException;

    /// <summary>Null while Redis is not connected: requests do not wait for it.</summary>
    private async ValueTask<IDatabase?> DatabaseAsync() =>
        await _redis.Value is { IsConnected: true } connection ? connection.GetDatabase() : null;

    private async Task<ConnectionMultiplexer?> ConnectAsync(string configuration)
    {
        try
        {
            var options = ConfigurationOptions.Parse(configuration);
            options.AbortOnConnectFail = false;
            options.ConnectTimeout = 2000;
            options.SyncTimeout = 1000;
            options.AsyncTimeout = 1000;
            return await ConnectionMultiplexer.ConnectAsync(options);
        }
        catch (Exception ex) when (ex is RedisException or ArgumentException)
        {
            LogRedisFailed(_logger, ex);
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis.IsValueCreated && await _redis.Value is { } connection)
        {
            await connection.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unavailable; checking duplicates in the database only")]
    private static partial void LogRedisFailed(ILogger logger, Exception exception);
}
