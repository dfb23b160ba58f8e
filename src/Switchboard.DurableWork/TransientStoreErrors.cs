using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Switchboard.DurableWork;

/// <summary>
/// The one answer, for both backends, to "did this fail because the database was briefly unavailable?": the connection
/// was lost or refused, the server is shutting down or starting up, a failover, no resources left, or SQLite's database
/// busy or locked. Such a failure is not the work's fault: it is tried again as soon as the database answers (the worker),
/// and the API answers 503 for it, never 500. A handler (<see cref="IWorkHandler"/>) that lets such an error out has its
/// item run again, still leased to it, once the database answers.
/// </summary>
public static class TransientStoreErrors
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    /// <summary>Whether the first database error in <paramref name="exception"/>'s chain of inner exceptions is transient.</summary>
    public static bool IsTransient(Exception exception)
    {
        for (Exception? ex = exception; ex is not null; ex = ex.InnerException)
        {
            switch (ex)
            {
                case SqliteException sqlite:
                    return sqlite.SqliteErrorCode is SqliteBusy or SqliteLocked;
                case DbException db:
                    // Npgsql's IsTransient: a lost or refused connection, a timeout, and the server's own transient states.
                    return db.IsTransient || IsTransientSqlState(db.SqlState);
            }
        }

        return false;
    }

    /// <summary>
    /// PostgreSQL's classes of "try again": 08 (connection exception), 53 (insufficient resources), 57P01 to 57P03 (the
    /// server shut down, crashed, or cannot accept connections yet).
    /// </summary>
    private static bool IsTransientSqlState(string? sqlState) =>
        sqlState is { Length: 5 } && (sqlState.StartsWith("08", StringComparison.Ordinal) || sqlState.StartsWith("53", StringComparison.Ordinal) ||
            sqlState is "57P01" or "57P02" or "57P03");
}
