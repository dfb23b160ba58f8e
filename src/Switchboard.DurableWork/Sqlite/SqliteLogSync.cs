using Microsoft.Win32.SafeHandles;

namespace Switchboard.DurableWork.Sqlite;

/// <summary>
/// Makes committed transactions durable beside the writer, so the writer runs the next transaction while the disk
/// flushes the last one (pipelined group commit). The connection commits with <c>synchronous = NORMAL</c> (the log
/// is written, not flushed); this thread then fsyncs the write-ahead log and only after that completes the writes of
/// every transaction committed before the flush. A completed write is therefore as durable as with
/// <c>synchronous = FULL</c>: its commit frame is on disk, and recovery replays the log up to the last commit frame.
/// On Linux an fsync of any descriptor of a file flushes all of that file's written pages; SQLite keeps the log file
/// (same inode) while the writer's connection is open, and takes no locks on it, so holding a descriptor is safe.
/// </summary>
internal sealed class SqliteLogSync : IDisposable
{
    private readonly ThreadHandoff<SqliteWriter.Job> _committed = new();
    private readonly SafeFileHandle _log;
    private readonly Action<SafeFileHandle> _flush;
    private readonly Thread _loop;

    /// <param name="flush">How the log is flushed; fsync unless a test says otherwise.</param>
    public SqliteLogSync(string logPath, Action<SafeFileHandle>? flush = null)
    {
        _flush = flush ?? RandomAccess.FlushToDisk;
        // Open or create: SQLite creates the log with its first write and uses the same file if it exists already.
        _log = File.OpenHandle(logPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        _loop = new Thread(Run) { IsBackground = true, Name = "sqlite-log-sync" };
        _loop.Start();
    }

    /// <summary>A write whose transaction committed; it completes after the next flush of the log.</summary>
    public void Committed(SqliteWriter.Job job) => _committed.Add(job);

    private void Run()
    {
        var batch = new List<SqliteWriter.Job>();
        while (_committed.Take(batch, int.MaxValue))
        {
            Exception? failure = null;
            try
            {
                _flush(_log);
            }
            catch (IOException ex)
            {
                // Committed but maybe not on disk: the callers are told it failed (a retry finds the key and adds nothing).
                failure = ex;
            }

            foreach (var job in batch)
            {
                if (failure is null)
                {
                    job.Commit();
                }
                else
                {
                    job.Fail(failure);
                }
            }

            batch.Clear();
        }
    }

    /// <summary>Flushes and completes what was committed, then stops. Call after the writer's last commit.</summary>
    public void Dispose()
    {
        _committed.Close();
        _loop.Join();
        _log.Dispose();
    }
}
