using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Switchboard.DurableWork.Sqlite;

/// <summary>
/// The one writer of a SQLite store: every write runs here, on one connection, one at a time. Writes that
/// arrive together share one <c>BEGIN IMMEDIATE</c> transaction (group commit), each inside its own savepoint
/// so one failing write does not undo the others. Statements are prepared once and reused.
/// </summary>
internal sealed class SqliteWriter : IAsyncDisposable
{
    /// <summary>How long deferrable writes (see <see cref="WriteAsync{T}"/>) wait for another write to share their commit, unless told otherwise.</summary>
    internal static readonly TimeSpan DefaultDeferrableWait = TimeSpan.FromMilliseconds(5);

    private readonly ConcurrentQueue<Job> _jobs = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly int _maxJobsPerTransaction;
    private readonly TimeSpan _deferrableWait;
    private readonly Thread _loop;
    private int _sleeping;
    private volatile bool _closed;

    private readonly SqliteCheckpointer _checkpointer;
    private readonly ISqliteTransactionParticipant? _participant;

    /// <param name="participant">State outside the database that follows each transaction (the store's <see cref="SqliteKeys"/>).</param>
    /// <param name="deferrableWait">How long deferrable writes wait for company (<see cref="DefaultDeferrableWait"/> if not given).</param>
    public SqliteWriter(SqliteConnection openConnection, int maxJobsPerTransaction, ISqliteTransactionParticipant? participant = null, TimeSpan? deferrableWait = null)
    {
        _connection = openConnection;
        _maxJobsPerTransaction = maxJobsPerTransaction;
        _deferrableWait = deferrableWait ?? DefaultDeferrableWait;
        _participant = participant;
        _checkpointer = new SqliteCheckpointer(openConnection.ConnectionString);
        // A thread of its own: each commit blocks in fsync, which would otherwise hold a thread-pool thread.
        _loop = new Thread(Run) { IsBackground = true, Name = "sqlite-writer" };
        _loop.Start();
    }

    /// <summary>Runs <paramref name="work"/> inside the next write transaction; completes once that transaction committed.</summary>
    /// <param name="deferrable">
    /// Nobody waits for this write to answer a request (a worker's completions): it does not start a transaction of its
    /// own until it has waited the writer's deferrable wait (<see cref="DefaultDeferrableWait"/>), but joins the next
    /// write that does, so it costs no commit (no fsync) of its own while other writes keep coming.
    /// </param>
    public Task<T> WriteAsync<T>(Func<SqliteWriter, T> work, CancellationToken cancellationToken, bool deferrable = false)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        var job = new Job<T>(work, cancellationToken) { Deferrable = deferrable, Queued = Stopwatch.GetTimestamp() };
        _jobs.Enqueue(job);
        if (_closed && !_loop.IsAlive)
        {
            // Closed between the check and the enqueue, after the loop's last look: nobody else will take it.
            FailLateJobs();
        }
        else if (Interlocked.Exchange(ref _sleeping, 0) == 1)
        {
            _wake.Release();
        }

        return job.Task;
    }

    /// <summary>A prepared statement for <paramref name="sql"/>, reused with its parameters. Only for use inside a write.</summary>
    public SqliteCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = _connection.CreateCommand();
            command.CommandText = sql;
            _commands[sql] = command;
        }

        return command;
    }

    /// <summary>The writer's connection. Only for use inside a write.</summary>
    public SqliteConnection Connection => _connection;

    /// <summary>The row id of the last row inserted on the writer's connection. Only for use inside a write.</summary>
    public long LastInsertRowId() => SQLitePCL.raw.sqlite3_last_insert_rowid(_connection.Handle);

    private void Execute(string sql) => Command(sql).ExecuteNonQuery();

    private void Run()
    {
        var batch = new List<Job>(_maxJobsPerTransaction);
        while (true)
        {
            while (batch.Count < _maxJobsPerTransaction && _jobs.TryDequeue(out var job))
            {
                batch.Add(job);
            }

            if (batch.Count > 0)
            {
                if (WaitedForCompany(batch))
                {
                    continue;
                }

                RunTransaction(batch);
                batch.Clear();
                if (_checkpointer.TakeRewindRequest())
                {
                    FinishCheckpoint();
                }

                continue;
            }

            if (_closed)
            {
                break;
            }

            // Say we are about to sleep, then look once more: a writer that enqueued before seeing the flag is seen
            // here; one that enqueued after it releases the semaphore. (A spare release only wakes the loop once more.)
            Interlocked.Exchange(ref _sleeping, 1);
            if (_jobs.IsEmpty && !_closed)
            {
                _wake.Wait();
            }
        }

        FailLateJobs();
    }

    /// <summary>
    /// A batch of deferrable writes only waits, up to the deferrable wait after the first was queued, for a write
    /// to commit with; true if it waited (the caller looks at the queue again).
    /// </summary>
    private bool WaitedForCompany(List<Job> batch)
    {
        if (_closed || batch.Count >= _maxJobsPerTransaction || !batch.TrueForAll(j => j.Deferrable))
        {
            return false;
        }

        var left = _deferrableWait - Stopwatch.GetElapsedTime(batch[0].Queued);
        if (left <= TimeSpan.Zero)
        {
            return false;
        }

        Interlocked.Exchange(ref _sleeping, 1);
        if (_jobs.IsEmpty && !_closed)
        {
            _wake.Wait(left);
        }

        return true;
    }

    /// <summary>
    /// Checkpoints what the background checkpoint has not copied yet (little), between two transactions, so that the
    /// next transaction starts the log afresh instead of growing it.
    /// </summary>
    private void FinishCheckpoint()
    {
        try
        {
            SqliteCheckpointer.Checkpoint(Command(SqliteCheckpointer.PassiveCheckpointSql));
        }
        catch (SqliteException)
        {
            // The background checkpoint is running: it asks again.
        }
    }

    /// <summary>Writes that raced with closing: refused, not left waiting.</summary>
    private void FailLateJobs()
    {
        while (_jobs.TryDequeue(out var late))
        {
            late.Fail(new ObjectDisposedException(nameof(SqliteWriter), "the work store is closed"));
        }
    }

    private void RunTransaction(List<Job> batch)
    {
        if (!TryRunWithoutSavepoints(batch))
        {
            RunWithSavepoints(batch);
        }
    }

    /// <summary>
    /// The common case: every write succeeds, so none needs a savepoint (a savepoint copies each page it changes
    /// into a sub-journal, doubling the writer's page work). When a write fails, the transaction is rolled back
    /// and false returned, so the batch runs again with a savepoint each; writes are functions of the database
    /// state and their captured arguments, so running one again after a rollback is the same as running it once.
    /// </summary>
    private bool TryRunWithoutSavepoints(List<Job> batch)
    {
        try
        {
            Begin();
        }
        catch (Exception ex)
        {
            Rollback();
            FailAll(batch, ex);
            return true;
        }

        foreach (var job in batch)
        {
            try
            {
                job.Run(this);
            }
            catch (Exception)
            {
                Rollback();
                return false;
            }
        }

        try
        {
            Commit();
        }
        catch (Exception ex)
        {
            Rollback();
            FailAll(batch, ex);
            return true;
        }

        foreach (var job in batch)
        {
            job.Commit();
        }

        return true;
    }

    private static void FailAll(List<Job> jobs, Exception exception)
    {
        foreach (var job in jobs)
        {
            job.Fail(exception);
        }
    }

    private void Begin()
    {
        Execute("BEGIN IMMEDIATE");
        _participant?.Begin(_connection);
    }

    private void Commit()
    {
        _participant?.BeforeCommit(this);
        Execute("COMMIT");
        _participant?.Committed();
    }

    private void Rollback()
    {
        _participant?.RolledBack();
        try
        {
            // (State.HasFlag(Closed) is always true: Closed is 0.)
            if (_connection.State == System.Data.ConnectionState.Open)
            {
                Execute("ROLLBACK");
            }
        }
        catch (SqliteException)
        {
            // No transaction left to roll back: the failure came before BEGIN or SQLite already rolled back.
        }
    }

    private void RunWithSavepoints(List<Job> batch)
    {
        var succeeded = new List<Job>(batch.Count);
        try
        {
            Begin();
            foreach (var job in batch)
            {
                Execute("SAVEPOINT job");
                var mark = _participant?.Mark() ?? 0;
                try
                {
                    job.Run(this);
                    Execute("RELEASE job");
                    succeeded.Add(job);
                }
                catch (Exception ex)
                {
                    Execute("ROLLBACK TO job");
                    Execute("RELEASE job");
                    _participant?.RollbackTo(mark);
                    job.Fail(ex);
                }
            }

            Commit();
        }
        catch (Exception ex)
        {
            // Jobs that failed on their own keep their own exception (a task completes once).
            Rollback();
            FailAll(batch, ex);
            return;
        }

        foreach (var job in succeeded)
        {
            job.Commit();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        _wake.Release();
        await Task.Run(_loop.Join);
        _checkpointer.Dispose();
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        await _connection.DisposeAsync();
    }

    private abstract class Job
    {
        public bool Deferrable { get; init; }

        /// <summary>When it was queued (<see cref="Stopwatch.GetTimestamp"/>).</summary>
        public long Queued { get; init; }

        public abstract void Run(SqliteWriter writer);

        public abstract void Commit();

        public abstract void Fail(Exception exception);
    }

    private sealed class Job<T>(Func<SqliteWriter, T> work, CancellationToken cancellationToken) : Job
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;

        public Task<T> Task => _completion.Task;

        public override void Run(SqliteWriter writer)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _result = work(writer);
        }

        public override void Commit() => _completion.TrySetResult(_result);

        public override void Fail(Exception exception)
        {
            if (exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                _completion.TrySetCanceled(cancellationToken);
            }
            else
            {
                _completion.TrySetException(exception);
            }
        }
    }
}
