using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Switchboard.DurableWork.Sqlite;

/// <summary>
/// The one writer of a SQLite store: every write runs here, on one connection, one at a time. Writes that
/// arrive together share one <c>BEGIN IMMEDIATE</c> transaction (group commit), each inside its own savepoint
/// so one failing write does not undo the others. Statements are prepared once and reused.
/// </summary>
internal sealed class SqliteWriter : IAsyncDisposable
{
    private readonly Channel<Job> _jobs = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly int _maxJobsPerTransaction;
    private readonly Task _loop;

    public SqliteWriter(SqliteConnection openConnection, int maxJobsPerTransaction)
    {
        _connection = openConnection;
        _maxJobsPerTransaction = maxJobsPerTransaction;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Runs <paramref name="work"/> inside the next write transaction; completes once that transaction committed.</summary>
    public Task<T> WriteAsync<T>(Func<SqliteWriter, T> work, CancellationToken cancellationToken)
    {
        var job = new Job<T>(work, cancellationToken);
        if (!_jobs.Writer.TryWrite(job))
        {
            throw new ObjectDisposedException(nameof(SqliteWriter), "the work store is closed");
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

    private void Execute(string sql) => Command(sql).ExecuteNonQuery();

    private async Task RunAsync()
    {
        var batch = new List<Job>(_maxJobsPerTransaction);
        while (await _jobs.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _maxJobsPerTransaction && _jobs.Reader.TryRead(out var job))
            {
                batch.Add(job);
            }

            RunTransaction(batch);
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
            Execute("BEGIN IMMEDIATE");
        }
        catch (Exception ex)
        {
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
            Execute("COMMIT");
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

    private void Rollback()
    {
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
            Execute("BEGIN IMMEDIATE");
            foreach (var job in batch)
            {
                Execute("SAVEPOINT job");
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
                    job.Fail(ex);
                }
            }

            Execute("COMMIT");
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
        _jobs.Writer.TryComplete();
        await _loop;
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        await _connection.DisposeAsync();
    }

    private abstract class Job
    {
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
