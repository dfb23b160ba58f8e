using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Switchboard.DurableWork.PostgreSql;

/// <summary>
/// This store's worker row and heartbeat, and the look for stopped workers. Every <see cref="PostgresWorkStoreOptions.HeartbeatInterval"/>
/// the row's <c>heartbeat_at</c> is renewed, and any worker whose heartbeat is older than
/// <see cref="PostgresWorkStoreOptions.TakeoverAfter"/> is removed, its leased items counted as interrupted and made due now,
/// in one statement (so of several workers looking at once, one takes each stopped worker). Both ages are measured by the
/// database's clock. Items leased to a worker that has no row (it was presumed stopped, and claimed before it noticed) are
/// given back the same way.
/// </summary>
internal sealed partial class PostgresWorkers : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresWorkStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;
    private bool _failing;
    private volatile bool _paused;

    public PostgresWorkers(NpgsqlDataSource dataSource, PostgresWorkStoreOptions options, TimeProvider time, string workerId)
    {
        _dataSource = dataSource;
        _options = options;
        _time = time;
        _logger = options.Logger ?? NullLogger.Instance;
        WorkerId = workerId;
    }

    public string WorkerId { get; }

    /// <summary>
    /// Tests: the heartbeat stops (true) and starts again (false), as a process paused with SIGSTOP and continued would.
    /// Nothing else of the store stops.
    /// </summary>
    internal bool Paused
    {
        get => _paused;
        set => _paused = value;
    }

    /// <summary>Raised with the queues that got items back from a stopped worker, so pumps in this process look at once.</summary>
    public event Action<IReadOnlyList<string>>? WorkReturned;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await RegisterAsync(cancellationToken);
        _loop = Task.Run(() => LoopAsync(_stopping.Token), CancellationToken.None);
    }

    private async Task RegisterAsync(CancellationToken cancellationToken)
    {
        await using var register = _dataSource.CreateCommand(
            "INSERT INTO work_workers (id, host, process_id) VALUES (@id, @host, @pid) " +
            "ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()");
        register.Parameters.Add(new NpgsqlParameter<string>("id", WorkerId));
        register.Parameters.Add(new NpgsqlParameter<string>("host", Environment.MachineName));
        register.Parameters.Add(new NpgsqlParameter<int>("pid", Environment.ProcessId));
        await register.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval);
        while (await WaitAsync(timer, stoppingToken))
        {
            if (_paused)
            {
                continue;
            }

            try
            {
                await HeartbeatAsync(stoppingToken);
                await TakeOverStoppedAsync(stoppingToken);
                if (_failing)
                {
                    _failing = false;
                    LogHeartbeatBack(_logger, WorkerId);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Disposed while a heartbeat or a takeover ran: its statement was cancelled, and nothing of it is kept.
                return;
            }
            catch (Exception ex)
            {
                if (!_failing)
                {
                    _failing = true;
                    LogHeartbeatFailed(_logger, WorkerId, _options.TakeoverAfter, ex);
                }
            }
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        await using var heartbeat = _dataSource.CreateCommand("UPDATE work_workers SET heartbeat_at = now() WHERE id = @id");
        heartbeat.Parameters.Add(new NpgsqlParameter<string>("id", WorkerId));
        if (await heartbeat.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            // Presumed stopped by another worker (paused, or cut off from the database): what it held was taken over,
            // and its results for those items are refused. It goes on as a worker that holds nothing.
            LogPresumedStopped(_logger, WorkerId, _options.TakeoverAfter);
            await RegisterAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Takes over the items of workers whose heartbeat is too old (or who have no row); returns how many. A heartbeat is
    /// aged from the server's start at the earliest: while the database itself was down (a restart) no worker could beat,
    /// and a live one is not taken over for it; it gets the full <see cref="PostgresWorkStoreOptions.TakeoverAfter"/> to
    /// reconnect.
    /// </summary>
    public async Task<int> TakeOverStoppedAsync(CancellationToken cancellationToken) =>
        await ReleaseAsync(
            "DELETE FROM work_workers WHERE greatest(heartbeat_at, pg_postmaster_start_time()) < now() - @takeover_after * interval '1 millisecond' RETURNING id",
            cancellationToken);

    /// <summary>At a clean stop: this worker's row goes, and anything it still holds is due for the others at once.</summary>
    private Task<int> ReleaseOwnAsync(CancellationToken cancellationToken) =>
        ReleaseAsync("DELETE FROM work_workers WHERE id = @id RETURNING id", cancellationToken);

    private async Task<int> ReleaseAsync(string selectStopped, CancellationToken cancellationToken)
    {
        var now = StoreSql.Ms(_time.GetUtcNow());
        // Every worker runs this every heartbeat: it must read only the leased items (work_items_lease_worker), however
        // large the table and whatever its statistics say. On a table not analyzed yet (a new database's first minute)
        // the planner chose a sequential scan, costed it past jit_above_cost, and JIT-compiled the statement each time:
        // ~1.4 s of database CPU per worker per second, half the delivery throughput of two workers.
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var plan = new NpgsqlCommand("SET LOCAL jit = off; SET LOCAL enable_seqscan = off", connection, transaction))
        {
            await plan.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var release = new NpgsqlCommand(
            $"WITH stopped AS ({selectStopped}), " +
            "released AS (" +
            "  UPDATE work_items w SET attempts = w.attempts + 1, lease_owner = NULL, lease_worker = NULL, due_at = @now, updated_at = @now " +
            "  WHERE w.status = 0 AND w.lease_owner IS NOT NULL " +
            "  AND (w.lease_worker IN (SELECT id FROM stopped) OR NOT EXISTS (SELECT 1 FROM work_workers k WHERE k.id = w.lease_worker)) " +
            "  RETURNING w.id, w.attempts, w.leased_at, w.queue), " +
            "logged AS (" +
            "  INSERT INTO work_attempts (item_id, attempt, started_at, finished_at, succeeded, detail) " +
            "  SELECT id, attempts, coalesce(leased_at, @now), @now, false, @detail FROM released) " +
            "SELECT queue, count(*) FROM released GROUP BY queue", connection, transaction);
        release.Parameters.Add(new NpgsqlParameter<long>("takeover_after", (long)_options.TakeoverAfter.TotalMilliseconds));
        release.Parameters.Add(new NpgsqlParameter<string>("id", WorkerId));
        release.Parameters.Add(new NpgsqlParameter<long>("now", now));
        release.Parameters.Add(new NpgsqlParameter<string>("detail", WorkAttempt.InterruptedDetail));
        var queues = new List<string>();
        var total = 0;
        await using (var reader = await release.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                queues.Add(reader.GetString(0));
                total += (int)reader.GetInt64(1);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        if (total > 0)
        {
            LogTookOver(_logger, total, string.Join(", ", queues));
            WorkReturned?.Invoke(queues);
        }

        return total;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await ReleaseOwnAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            // The database is not there: the others take this worker's items over once its heartbeat is old enough.
        }

        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Work store heartbeat of worker {WorkerId} failed; if it keeps failing for {TakeoverAfter}, other workers take over its items")]
    private static partial void LogHeartbeatFailed(ILogger logger, string workerId, TimeSpan takeoverAfter, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Work store heartbeat of worker {WorkerId} works again")]
    private static partial void LogHeartbeatBack(ILogger logger, string workerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {WorkerId} was presumed stopped (no heartbeat for {TakeoverAfter}): the items it held went to other workers, and its results for them are refused")]
    private static partial void LogPresumedStopped(ILogger logger, string workerId, TimeSpan takeoverAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Took over {Count} items of stopped workers (queues: {Queues}); each counts an interrupted attempt and is due now")]
    private static partial void LogTookOver(ILogger logger, int count, string queues);
}
