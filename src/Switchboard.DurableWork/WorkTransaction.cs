using System.Data.Common;

namespace Switchboard.DurableWork;

/// <summary>The database behind a store, for the few statements whose SQL differs between the two.</summary>
public enum WorkStoreBackend
{
    Sqlite,
    Postgres,
}

/// <summary>A named parameter of a statement, written <c>@name</c> in its SQL (both backends accept that form).</summary>
public readonly record struct SqlArg(string Name, object? Value);

/// <summary>Reads the store's database inside one consistent snapshot.</summary>
public interface IWorkReader
{
    WorkStoreBackend Backend { get; }

    /// <summary>Runs a query and maps each row with <paramref name="read"/>.</summary>
    ValueTask<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> read, params SqlArg[] args);
}

/// <summary>
/// One write transaction on the store's database: your own tables' statements and the store's enqueues commit
/// together or not at all. This is how a state change and the work it causes (a webhook to deliver, the next step of
/// a lifecycle) are made durable at once, with no moment in which one is stored without the other.
/// </summary>
/// <remarks>
/// On SQLite the function runs on the store's writer thread, inside a transaction it may share with other writes
/// (group commit); should another write of the same transaction fail, the function runs again from the start in a
/// fresh transaction. So it must only read and write through this object, keep no state outside it but its result,
/// and await nothing but this object's methods (they complete at once there).
/// </remarks>
public interface IWorkTransaction : IWorkReader
{
    /// <summary>Runs a statement; returns the rows it changed.</summary>
    ValueTask<int> ExecuteAsync(string sql, params SqlArg[] args);

    /// <summary>Adds items like <see cref="IWorkStore.EnqueueAsync"/>, in this transaction.</summary>
    ValueTask<IReadOnlyList<bool>> EnqueueAsync(string queue, IReadOnlyList<NewWorkItem> items);

    /// <summary>Adds items like <see cref="IWorkStore.EnqueueLeasedAsync"/>, in this transaction.</summary>
    ValueTask<IReadOnlyList<EnqueuedItem>> EnqueueLeasedAsync(string queue, IReadOnlyList<NewWorkItem> items);

    /// <summary>
    /// Adds items already finished (succeeded, one attempt counted, no attempt log), in this transaction: records that
    /// no worker ever takes, kept until pruned, such as a log. Idempotent on the key like <see cref="EnqueueAsync"/>;
    /// returns, for each item in order, true if it was added.
    /// </summary>
    ValueTask<IReadOnlyList<bool>> AddFinishedAsync(string queue, IReadOnlyList<NewWorkItem> items);

    /// <summary>Deletes finished items like <see cref="IWorkStore.PruneAsync"/>, in this transaction; returns how many.</summary>
    ValueTask<int> PruneAsync(string queue, DateTimeOffset finishedBefore, int maxItems);

    /// <summary>Runs <paramref name="action"/> once this transaction has committed (not if it rolls back).</summary>
    void OnCommitted(Action action);
}
