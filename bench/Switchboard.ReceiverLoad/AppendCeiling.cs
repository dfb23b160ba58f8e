using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

/// <summary>
/// A ceiling for the library's store, not a product: the bare endpoint plus the least a durable store can do, one
/// writer thread appending each webhook's id and body to a SQLite table in group commits (WAL) and answering once the
/// commit is done. No request record, no handler, no checkpointing beside it. <c>--sync</c> picks SQLite's
/// <c>synchronous</c> (FULL, the library's default, syncs every commit); <c>--unique-key</c> adds a unique index on the
/// id (the duplicate check), written at random as ids are random; <c>--no-database</c> keeps the hand-off to the writer
/// thread and drops the database.
/// </summary>
internal sealed class AppendCeiling
{
    private readonly ConcurrentQueue<(string Id, string Body, TaskCompletionSource<bool> Done)> _queue = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly string _path;
    private readonly string _synchronous;
    private readonly bool _uniqueKey;
    private readonly bool _noDatabase;
    private int _sleeping;

    public AppendCeiling(string folder, string[] args)
    {
        Directory.CreateDirectory(folder);
        _path = Path.Combine(folder, "append.db");
        _synchronous = CommandLine.Option(args, "--sync") ?? "FULL";
        _uniqueKey = args.Contains("--unique-key");
        _noDatabase = args.Contains("--no-database");
        new Thread(Run) { IsBackground = true, Name = "append-writer" }.Start();
    }

    /// <summary>True once stored; false if the id was stored before (with <c>--unique-key</c>).</summary>
    public Task<bool> AppendAsync(string id, string body)
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Enqueue((id, body, done));
        if (Interlocked.Exchange(ref _sleeping, 0) == 1)
        {
            _wake.Release();
        }

        return done.Task;
    }

    private void Run()
    {
        using var connection = new SqliteConnection($"Data Source={_path};Pooling=false");
        connection.Open();
        Execute(connection, "PRAGMA journal_mode = WAL");
        Execute(connection, $"PRAGMA synchronous = {_synchronous}");
        Execute(connection, "PRAGMA cache_size = -4000");
        Execute(connection, $"CREATE TABLE IF NOT EXISTS webhooks (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL {(_uniqueKey ? "UNIQUE" : "")}, body TEXT NOT NULL)");
        using var insert = connection.CreateCommand();
        insert.CommandText = $"INSERT INTO webhooks (event_id, body) VALUES (@id, @body){(_uniqueKey ? " ON CONFLICT DO NOTHING" : "")}";
        var id = insert.Parameters.Add("@id", SqliteType.Text);
        var body = insert.Parameters.Add("@body", SqliteType.Text);
        insert.Prepare();
        var batch = new List<(string Id, string Body, TaskCompletionSource<bool> Done)>();
        var stored = new List<bool>();
        while (true)
        {
            batch.Clear();
            stored.Clear();
            while (batch.Count < 512 && _queue.TryDequeue(out var item))
            {
                batch.Add(item);
            }

            if (batch.Count == 0)
            {
                Interlocked.Exchange(ref _sleeping, 1);
                if (_queue.IsEmpty)
                {
                    _wake.Wait();
                }

                continue;
            }

            if (!_noDatabase)
            {
                Execute(connection, "BEGIN IMMEDIATE");
                foreach (var item in batch)
                {
                    id.Value = item.Id;
                    body.Value = item.Body;
                    stored.Add(insert.ExecuteNonQuery() == 1);
                }

                Execute(connection, "COMMIT");
            }

            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Done.SetResult(_noDatabase || stored[i]);
            }
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
