using Microsoft.Data.Sqlite;

namespace Switchboard.DurableWork.Sqlite;

/// <summary>
/// Copies committed pages from the write-ahead log into the database file, on a thread and connection of its own.
/// SQLite's automatic checkpoint runs inside the committing writer: every few thousand pages one commit would stop to
/// copy megabytes and fsync the database, and every write queued behind it would wait (the p99 latency spikes). Here
/// the writer never checkpoints: a passive checkpoint (which never blocks the writer) runs every
/// <see cref="Interval"/>. Under sustained writes such a checkpoint never quite reaches the end of the log, so the log
/// would never be rewound, and SQLite fsyncs the database only at the end of a checkpoint that reached the end of the
/// log. When the log has grown past <see cref="RewindAtFrames"/>, this thread first runs passes back to back until one
/// reaches the end (so the database is flushed here, beside the writer), then asks the writer to checkpoint the little
/// that is left between two of its transactions, after which its next transaction starts the log afresh. (A rewind
/// needs that moment between two transactions. Without the passes here, the writer's own pass also flushed everything
/// copied since the last rewind while every write waited; with them, paced p99 fell by about a tenth.)
/// </summary>
internal sealed class SqliteCheckpointer : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private const int RewindAtFrames = 8000;
    private const int CatchUpPasses = 20;

    /// <summary>The checkpoint this thread runs, and the writer's final pass: it never waits for readers or the writer.</summary>
    public const string PassiveCheckpointSql = "PRAGMA wal_checkpoint(PASSIVE)";

    private readonly string _connectionString;
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _loop;
    private int _rewindWanted;

    public SqliteCheckpointer(string connectionString)
    {
        _connectionString = connectionString;
        _loop = new Thread(Run) { IsBackground = true, Name = "sqlite-checkpoint" };
        _loop.Start();
    }

    /// <summary>True once (then false until the next request) when the writer should finish a checkpoint itself.</summary>
    public bool TakeRewindRequest() => Volatile.Read(ref _rewindWanted) == 1 && Interlocked.Exchange(ref _rewindWanted, 0) == 1;

    private void Run()
    {
        SqliteConnection? connection = null;
        SqliteCommand? passive = null;
        try
        {
            while (!_stop.Wait(Interval))
            {
                try
                {
                    passive ??= Open(out connection);
                    if (Checkpoint(passive).LogFrames >= RewindAtFrames)
                    {
                        CatchUp(passive);
                        Volatile.Write(ref _rewindWanted, 1);
                    }
                }
                catch (SqliteException)
                {
                    // Busy, short of disk, or the file cannot be opened now: the pages stay in the log, which stays
                    // readable; try again next time (a failure on this thread must never end the process).
                }
            }

            // Closing: leave the database file complete, so the log can be removed with the last connection.
            try
            {
                if (passive is not null)
                {
                    Checkpoint(passive);
                }
            }
            catch (SqliteException)
            {
            }
        }
        finally
        {
            passive?.Dispose();
            connection?.Dispose();
        }
    }

    private SqliteCommand Open(out SqliteConnection? connection)
    {
        connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            var passive = connection.CreateCommand();
            passive.CommandText = PassiveCheckpointSql;
            return passive;
        }
        catch
        {
            connection.Dispose();
            connection = null;
            throw;
        }
    }

    /// <summary>
    /// Passes right after one another, each copying only what was committed during the one before, until one reaches
    /// the end of the log between two of the writer's commits (at most <see cref="CatchUpPasses"/>). The first pass
    /// that does fsyncs every page the earlier passes copied into the database.
    /// </summary>
    private static void CatchUp(SqliteCommand passive)
    {
        for (var pass = 0; pass < CatchUpPasses; pass++)
        {
            var (log, copied) = Checkpoint(passive);
            if (log == copied)
            {
                return;
            }
        }
    }

    /// <summary>Runs a checkpoint; returns how many frames the log holds and how many of them are in the database.</summary>
    public static (long LogFrames, long Copied) Checkpoint(SqliteCommand checkpoint)
    {
        using var reader = checkpoint.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(1), reader.GetInt64(2)) : (0, 0);
    }

    public void Dispose()
    {
        _stop.Set();
        _loop.Join();
        _stop.Dispose();
    }
}
