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
