using Microsoft.Extensions.Logging;
using Npgsql;
using Switchboard.DurableWork.Postgres;
using Switchboard.DurableWork.Sqlite;

namespace Switchboard.DurableWork;

/// <summary>Opens a work store, creating or migrating its schema first (safe to run on every start).</summary>
public static class WorkStore
{
    /// <summary>
    /// The embedded store: a SQLite file (WAL), written by this process alone: opening it takes an exclusive lock on the
    /// file, and a second process gets <see cref="WorkStoreInUseException"/>. Items that a process which is gone held
    /// leased are due again at once (their interrupted attempt logged and counted).
    /// </summary>
    public static Task<IWorkStore> OpenSqliteAsync(SqliteWorkStoreOptions options, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return SqliteWorkStore.OpenAsync(options, time ?? TimeProvider.System, cancellationToken);
    }

    /// <summary>
    /// The shared store: PostgreSQL, for several worker processes on one database. The store registers as a worker and
    /// heart-beats until disposed; see <see cref="PostgresWorkStoreOptions"/>. The data source is the one entry point for
    /// connection settings; the store does not dispose it.
    /// </summary>
    public static Task<IWorkStore> OpenPostgresAsync(NpgsqlDataSource dataSource, TimeProvider? time = null, CancellationToken cancellationToken = default) =>
        OpenPostgresAsync(dataSource, new PostgresWorkStoreOptions(), time, cancellationToken);

    /// <inheritdoc cref="OpenPostgresAsync(NpgsqlDataSource, TimeProvider?, CancellationToken)"/>
    public static Task<IWorkStore> OpenPostgresAsync(NpgsqlDataSource dataSource, PostgresWorkStoreOptions options, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return PostgresWorkStore.OpenAsync(dataSource, options, time ?? TimeProvider.System, cancellationToken);
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

    internal void Validate()
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

/// <summary>Settings of the SQLite store.</summary>
public sealed class SqliteWorkStoreOptions
{
    /// <summary>The database file; its folder is created if missing. E.g. <c>data/switchboard.db</c>.</summary>
    public required string DatabasePath { get; set; }

    /// <summary>
    /// True (the default): every commit is synced to disk, so it survives power loss. False: commits survive a
    /// crash of the process but the last ones may be lost on power loss, for fewer disk syncs.
    /// </summary>
    public bool SynchronousFull { get; set; } = true;

    /// <summary>How many writes that arrive together may share one transaction. Default 256.</summary>
    public int MaxWritesPerTransaction { get; set; } = 256;

    /// <summary>
    /// The fewest new keys gathered in memory before they are written to the key index in one ordered pass (see
    /// SqliteKeys). Tests set it small to make passes happen.
    /// </summary>
    internal int MinKeyGeneration { get; set; } = 16_384;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(DatabasePath))
        {
            throw new ArgumentException("DatabasePath is required", nameof(DatabasePath));
        }

        if (MaxWritesPerTransaction < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxWritesPerTransaction), MaxWritesPerTransaction, "must be at least 1");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MinKeyGeneration);
    }
}
