using Microsoft.Data.Sqlite;

namespace Switchboard.DurableWork.Sqlite;

/// <summary>
/// Which keys each queue holds, for the writer's idempotent enqueue, without a unique index written at random per insert.
/// </summary>
/// <remarks>
/// <para>
/// Keys are random (Telnyx event ids are UUIDs), so a unique index on them dirties a page somewhere in the index for
/// nearly every insert, and each dirty page is a 4 KiB write to the log and later to the database. That cost grew
/// with the database and was the largest part of an inbox write (docs/benchmarks.md).
/// </para>
/// <para>
/// Instead the items table holds the key as a plain column, and the index <c>work_keys</c> (unique on queue and key)
/// is written in key order, a few hundred keys per transaction: each of its pages is written about once per pass
/// however many keys land on it. Items not yet in <c>work_keys</c> are exactly those with an id above
/// <c>keys_merged_through</c> in <c>work_meta</c> (ids only grow: the table is AUTOINCREMENT); their keys are kept
/// here in memory, loaded from the table when the store opens. A key is taken when this holds it or <c>work_keys</c>
/// does, checked inside the write transaction, so the answer is the database's as of that transaction.
/// </para>
/// <para>
/// Changes made inside a transaction are applied here only when it commits, and undone with a savepoint's rollback.
/// Another connection's commit (seen through <c>PRAGMA data_version</c>) makes it load the keys afresh.
/// </para>
/// </remarks>
internal sealed class SqliteKeys : ISqliteTransactionParticipant
{
    /// <summary>The <c>work_meta</c> row holding the highest item id whose key is in <c>work_keys</c>.</summary>
    public const string MergedThroughName = "keys_merged_through";

    /// <summary>Keys merged into <c>work_keys</c> per transaction while a generation is being merged.</summary>
    private const int MergeKeysPerTransaction = 256;

    private const int MaxGenerationSize = 1 << 18;

    private readonly int _minGenerationSize;
    private readonly Lock _gate = new();

    // Committed, not yet in work_keys: the generation taking new keys, and the one being merged (key order).
    private Dictionary<QueueKey, long> _current = [];
    private Dictionary<QueueKey, long>? _merging;
    private QueueKey[] _mergeOrder = [];
    private long _mergingThrough;
    private long _mergedCount;
    private long _mergedThrough;
    private long _knownThrough;
    private long _dataVersion;

    // The open transaction's changes, applied when it commits; the journal undoes a savepoint's share.
    private readonly Dictionary<QueueKey, long> _added = [];
    private readonly HashSet<QueueKey> _removed = [];
    private readonly List<(QueueKey Key, long? WasAdded, bool WasRemoved)> _journal = [];
    private int _mergePosition;
    private int _mergePositionAtBegin;
    private bool _mergeFinishing;

    public SqliteKeys(int minGenerationSize) => _minGenerationSize = minGenerationSize;

    /// <summary>
    /// For readers on other connections: the key's item id as committed here (null if not held here), the last id
    /// merged into <c>work_keys</c> as far as this knows, and the highest item id this has seen. A reader whose
    /// snapshot shows the same merged id finds every item up to <see cref="CommittedKey.KnownThrough"/> here or in
    /// <c>work_keys</c>; items above it (another connection's) it looks for in the table.
    /// </summary>
    public CommittedKey FindCommitted(string queue, string key)
    {
        var k = new QueueKey(queue, key);
        lock (_gate)
        {
            long? id = _current.TryGetValue(k, out var found) || (_merging?.TryGetValue(k, out found) ?? false) ? found : null;
            return new CommittedKey(id, _mergedThrough, _knownThrough);
        }
    }

    /// <summary>The key's item id, as of the open transaction; null if the queue does not hold the key. Writer only.</summary>
    public long? Find(SqliteWriter writer, string queue, string key)
    {
        var k = new QueueKey(queue, key);
        if (_added.TryGetValue(k, out var id))
        {
            return id;
        }

        if (_removed.Contains(k))
        {
            return null;
        }

        if (_current.TryGetValue(k, out id) || (_merging?.TryGetValue(k, out id) ?? false))
        {
            return id;
        }

        var select = writer.Command("SELECT item_id FROM work_keys WHERE queue = @queue AND key = @key");
        select.Set("@queue", queue);
        select.Set("@key", key);
        return select.ExecuteScalar() is long stored ? stored : null;
    }

    /// <summary>Records a key just inserted with its item. Writer only.</summary>
    public void Added(string queue, string key, long itemId)
    {
        var k = new QueueKey(queue, key);
        Journal(k);
        _removed.Remove(k);
        _added[k] = itemId;
    }

    /// <summary>Records an item deleted; its <c>work_keys</c> row, if any, is deleted here too. Writer only.</summary>
    public void Deleted(SqliteWriter writer, string queue, string key, long itemId)
    {
        var delete = writer.Command("DELETE FROM work_keys WHERE queue = @queue AND key = @key AND item_id = @id");
        delete.Set("@queue", queue);
        delete.Set("@key", key);
        delete.Set("@id", itemId);
        delete.ExecuteNonQuery();
        var k = new QueueKey(queue, key);
        Journal(k);
        _added.Remove(k);
        _removed.Add(k);
    }

    /// <summary>Loads the keys not yet in <c>work_keys</c> (on open, and after another connection wrote).</summary>
    public void Load(SqliteConnection connection)
    {
        using var merged = connection.CreateCommand();
        merged.CommandText = $"SELECT value FROM work_meta WHERE name = '{MergedThroughName}'";
        var mergedThrough = (long)merged.ExecuteScalar()!;
        using var recent = connection.CreateCommand();
        recent.CommandText = "SELECT queue, key, id FROM work_items WHERE id > @merged";
        recent.Parameters.AddWithValue("@merged", mergedThrough);
        var current = new Dictionary<QueueKey, long>();
        // A queue's name is read once per row; keep one string per queue, not one per key.
        var queues = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var reader = recent.ExecuteReader())
        {
            while (reader.Read())
            {
                var queue = reader.GetString(0);
                if (!queues.TryGetValue(queue, out var known))
                {
                    queues[queue] = known = queue;
                }

                current[new QueueKey(known, reader.GetString(1))] = reader.GetInt64(2);
            }
        }

        using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM work_keys";
        var mergedCount = (long)count.ExecuteScalar()!;
        lock (_gate)
        {
            _current = current;
            _merging = null;
            _mergeOrder = [];
            _mergedCount = mergedCount;
            _mergedThrough = mergedThrough;
            _knownThrough = current.Count == 0 ? mergedThrough : Math.Max(mergedThrough, current.Values.Max());
        }

        _mergePosition = 0;
        _dataVersion = DataVersion(connection);
    }

    /// <summary>
    /// Before <see cref="Load"/> when the store opens: if more than <paramref name="threshold"/> keys are not yet in
    /// <c>work_keys</c> (a backlog written faster than it merged, then a restart), writes them all there in one ordered
    /// statement and one transaction, so the store does not hold them in memory (about 170 bytes a key) until passes
    /// have merged them. A crash in it rolls it back; the next open does it again.
    /// </summary>
    public static void MergeBacklog(SqliteConnection connection, int threshold)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        using var count = connection.CreateCommand();
        count.Transaction = transaction;
        count.CommandText = $"SELECT count(*) FROM work_items WHERE id > (SELECT value FROM work_meta WHERE name = '{MergedThroughName}')";
        if ((long)count.ExecuteScalar()! <= threshold)
        {
            return;
        }

        using var merge = connection.CreateCommand();
        merge.Transaction = transaction;
        merge.CommandText =
            $"INSERT INTO work_keys (queue, key, item_id) SELECT queue, key, id FROM work_items WHERE id > (SELECT value FROM work_meta WHERE name = '{MergedThroughName}') " +
            "ORDER BY queue, key ON CONFLICT DO NOTHING; " +
            $"UPDATE work_meta SET value = (SELECT coalesce(max(id), work_meta.value) FROM work_items) WHERE name = '{MergedThroughName}'";
        merge.ExecuteNonQuery();
        transaction.Commit();
    }

    /// <summary>
    /// Where this and the database disagree (empty when they agree), for tests: every item up to the merge mark has its key
    /// in <c>work_keys</c>, every item above it has its key here with its id, and this holds no key the items do not.
    /// Call it while no write runs.
    /// </summary>
    public IReadOnlyList<string> Disagreements(SqliteConnection connection)
    {
        var problems = new List<string>();
        using var transaction = connection.BeginTransaction(deferred: true);
        long Scalar(string sql)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            return (long)command.ExecuteScalar()!;
        }

        var merged = Scalar($"SELECT value FROM work_meta WHERE name = '{MergedThroughName}'");
        Dictionary<QueueKey, long> held;
        lock (_gate)
        {
            if (merged != _mergedThrough)
            {
                problems.Add($"merge mark: {merged} in the database, {_mergedThrough} here");
            }

            held = new Dictionary<QueueKey, long>(_current);
            foreach (var (k, id) in _merging ?? [])
            {
                if (!held.TryAdd(k, id))
                {
                    problems.Add($"{k} is in both generations");
                }
            }
        }

        var unindexed = Scalar(
            $"SELECT count(*) FROM work_items w WHERE w.id <= {merged} AND NOT EXISTS (SELECT 1 FROM work_keys k WHERE k.queue = w.queue AND k.key = w.key AND k.item_id = w.id)");
        if (unindexed > 0)
        {
            problems.Add($"{unindexed} items up to the merge mark are not in work_keys");
        }

        var dangling = Scalar("SELECT count(*) FROM work_keys k WHERE NOT EXISTS (SELECT 1 FROM work_items w WHERE w.id = k.item_id AND w.queue = k.queue AND w.key = k.key)");
        if (dangling > 0)
        {
            problems.Add($"{dangling} work_keys rows point at no item with their key");
        }

        using var recent = connection.CreateCommand();
        recent.Transaction = transaction;
        recent.CommandText = $"SELECT queue, key, id FROM work_items WHERE id > {merged}";
        using (var reader = recent.ExecuteReader())
        {
            while (reader.Read())
            {
                var k = new QueueKey(reader.GetString(0), reader.GetString(1));
                if (!held.Remove(k, out var id) || id != reader.GetInt64(2))
                {
                    problems.Add($"item {reader.GetInt64(2)} {k} above the merge mark is not held here with its id");
                }
            }
        }

        problems.AddRange(held.Select(h => $"{h.Key} (item {h.Value}) is held here but no such item is above the merge mark"));
        return problems;
    }

    void ISqliteTransactionParticipant.Begin(SqliteConnection connection)
    {
        if (DataVersion(connection) != _dataVersion)
        {
            Load(connection);
        }

        if (_merging is null && _current.Count >= GenerationSize)
        {
            // Only committed keys move, so this needs no undoing if the transaction rolls back.
            lock (_gate)
            {
                _merging = _current;
                _current = [];
            }

            _mergeOrder = [.. _merging.Keys];
            Array.Sort(_mergeOrder);
            _mergingThrough = _merging.Values.Max();
            _mergePosition = 0;
        }

        _mergePositionAtBegin = _mergePosition;
    }

    void ISqliteTransactionParticipant.BeforeCommit(SqliteWriter writer)
    {
        if (_merging is null)
        {
            return;
        }

        var insert = writer.Command("INSERT INTO work_keys (queue, key, item_id) VALUES (@queue, @key, @id) ON CONFLICT DO NOTHING");
        var end = Math.Min(_mergePosition + MergeKeysPerTransaction, _mergeOrder.Length);
        for (; _mergePosition < end; _mergePosition++)
        {
            var k = _mergeOrder[_mergePosition];
            // Deleted since the generation was frozen (or in this transaction): nothing to index.
            if (!_merging.TryGetValue(k, out var id) || _removed.Contains(k))
            {
                continue;
            }

            insert.Set("@queue", k.Queue);
            insert.Set("@key", k.Key);
            insert.Set("@id", id);
            insert.ExecuteNonQuery();
        }

        if (_mergePosition == _mergeOrder.Length)
        {
            var watermark = writer.Command($"UPDATE work_meta SET value = @through WHERE name = '{MergedThroughName}'");
            watermark.Set("@through", _mergingThrough);
            watermark.ExecuteNonQuery();
            _mergeFinishing = true;
        }
    }

    void ISqliteTransactionParticipant.Committed()
    {
        lock (_gate)
        {
            foreach (var (k, id) in _added)
            {
                _current[k] = id;
                // A key deleted and added again in one transaction: the new item replaces the one being merged.
                _merging?.Remove(k);
                _knownThrough = Math.Max(_knownThrough, id);
            }

            foreach (var k in _removed)
            {
                if (!_current.Remove(k) && !(_merging?.Remove(k) ?? false))
                {
                    _mergedCount--;
                }
            }

            if (_mergeFinishing)
            {
                _mergedCount += _merging!.Count;
                _mergedThrough = _mergingThrough;
                _merging = null;
                _mergeOrder = [];
                _mergePosition = 0;
            }
        }

        // (Our own commits do not change our connection's data version.)
        ClearTransaction();
    }

    void ISqliteTransactionParticipant.RolledBack()
    {
        _mergePosition = _mergePositionAtBegin;
        ClearTransaction();
    }

    int ISqliteTransactionParticipant.Mark() => _journal.Count;

    void ISqliteTransactionParticipant.RollbackTo(int mark)
    {
        for (var i = _journal.Count - 1; i >= mark; i--)
        {
            var (k, wasAdded, wasRemoved) = _journal[i];
            if (wasAdded is { } id)
            {
                _added[k] = id;
            }
            else
            {
                _added.Remove(k);
            }

            if (wasRemoved)
            {
                _removed.Add(k);
            }
            else
            {
                _removed.Remove(k);
            }
        }

        _journal.RemoveRange(mark, _journal.Count - mark);
    }

    /// <summary>
    /// How many keys a generation gathers before it is merged: a quarter of the index, so that a pass writes each
    /// index page for several keys, within bounds that keep memory small.
    /// </summary>
    private int GenerationSize => (int)Math.Clamp(_mergedCount / 4, _minGenerationSize, Math.Max(_minGenerationSize, MaxGenerationSize));

    private void Journal(QueueKey k) =>
        _journal.Add((k, _added.TryGetValue(k, out var id) ? id : null, _removed.Contains(k)));

    private void ClearTransaction()
    {
        _added.Clear();
        _removed.Clear();
        _journal.Clear();
        _mergeFinishing = false;
    }

    private static long DataVersion(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA data_version";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>What <see cref="FindCommitted"/> knows of a key; see there.</summary>
    public readonly record struct CommittedKey(long? Id, long MergedThrough, long KnownThrough);

    private readonly record struct QueueKey(string Queue, string Key) : IComparable<QueueKey>
    {
        public int CompareTo(QueueKey other)
        {
            var byQueue = string.CompareOrdinal(Queue, other.Queue);
            return byQueue != 0 ? byQueue : string.CompareOrdinal(Key, other.Key);
        }
    }
}
