using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Switchboard.Receiver.Inbox;

/// <summary>
/// A cache of event ids stored recently, in Redis when configured, so most duplicates are answered without a
/// database write. An id is remembered only after the database stored it, so a hit is always a true duplicate;
/// a miss (or Redis being down) falls through to the database's unique key, which stays the truth. Redis
/// problems never fail a request: they are logged and the cache is skipped.
/// </summary>
internal sealed partial class RecentEventIds : IAsyncDisposable
{
    private readonly TelnyxWebhookOptions _options;
    private readonly ILogger<RecentEventIds> _logger;
    private readonly Lazy<Task<ConnectionMultiplexer?>>? _redis;

    public RecentEventIds(IOptions<TelnyxWebhookOptions> options, ILogger<RecentEventIds> logger)
    {
        _options = options.Value;
        _logger = logger;
        if (_options.RedisConfiguration is { } configuration)
        {
            _redis = new(() => ConnectAsync(configuration));
        }
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
        _redis is not null && await _redis.Value is { IsConnected: true } connection ? connection.GetDatabase() : null;

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
        if (_redis is { IsValueCreated: true } && await _redis.Value is { } connection)
        {
            await connection.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unavailable; checking duplicates in the database only")]
    private static partial void LogRedisFailed(ILogger logger, Exception exception);
}
