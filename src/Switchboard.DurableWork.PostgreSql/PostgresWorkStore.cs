using Microsoft.Extensions.Logging;
using Npgsql;
using Switchboard.DurableWork.PostgreSql;

namespace Switchboard.DurableWork;

/// <summary>Opens the shared work store on PostgreSQL, creating or migrating its schema first (safe to run on every start).</summary>
public static class PostgresWorkStore
{
    /// <summary>
    /// The shared store: PostgreSQL, for several worker processes on one database. The store registers as a worker and
    /// heart-beats until disposed; see <see cref="PostgresWorkStoreOptions"/>. The data source is the one entry point for
    /// connection settings; the store does not dispose it.
    /// </summary>
    public static Task<IWorkStore> OpenAsync(NpgsqlDataSource dataSource, PostgresWorkStoreOptions? options = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        options ??= new PostgresWorkStoreOptions();
        options.Validate();
        return NpgsqlWorkStore.OpenAsync(dataSource, options, time ?? TimeProvider.System, cancellationToken);
    }
}

/// <summary>
/// How workers sharing a PostgreSQL store find out that one of them stopped. Each store is a worker that renews a
/// heartbeat row; a worker whose heartbeat is older than <see cref="TakeoverAfter"/> is presumed stopped (killed,
/// paused, cut off): the items it held are due again for the others, and its late results are refused. Its heartbeat is
/// judged by the database's clock (<c>now()</c>), the one clock all workers share, so hosts' clocks may disagree.
/// </summary>
public sealed class PostgresWorkStoreOptions
{
    /// <summary>How often the heartbeat is renewed and stopped workers are looked for. Default 1 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How old a worker's heartbeat may get before its items are taken over. Default 10 s; at least three heartbeat
    /// intervals (a worker must miss several heartbeats), at most one hour.
    /// </summary>
    public TimeSpan TakeoverAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Where the heartbeat's trouble is reported (a database that cannot be reached, this worker presumed stopped).</summary>
    public ILogger? Logger { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> if a setting is out of range (opening the store checks so too).</summary>
    public void Validate()
    {
        if (HeartbeatInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(HeartbeatInterval), HeartbeatInterval, "the heartbeat interval must be longer than zero");
        }

        if (TakeoverAfter < HeartbeatInterval * 3 || TakeoverAfter > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(TakeoverAfter), TakeoverAfter,
                $"the takeover timeout must be at least three heartbeat intervals ({HeartbeatInterval * 3}) and at most one hour");
        }
    }
}

