using Switchboard.DurableWork;

namespace Switchboard.Testing;

/// <summary>A work store that passes every call to another; tests override the calls they watch or change.</summary>
public abstract class ForwardingWorkStore(IWorkStore inner) : IWorkStore
{
    protected IWorkStore Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public string WorkerId => Inner.WorkerId;

    public WorkStoreBackend Backend => Inner.Backend;

    public virtual Task<IReadOnlyList<bool>> EnqueueAsync(string queue, IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default) =>
        Inner.EnqueueAsync(queue, items, cancellationToken);

    public virtual Task<IReadOnlyList<EnqueuedItem>> EnqueueLeasedAsync(string queue, IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default) =>
        Inner.EnqueueLeasedAsync(queue, items, cancellationToken);

    public virtual Task<IReadOnlyList<ClaimedWorkItem>> ClaimAsync(string queue, int maxItems, CancellationToken cancellationToken = default) =>
        Inner.ClaimAsync(queue, maxItems, cancellationToken);

    public virtual Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<WorkCompletion> completions, CancellationToken cancellationToken = default) =>
        Inner.CompleteAsync(completions, cancellationToken);

    public virtual Task<WorkCompletionResult> CompleteAndStartNextAsync(IReadOnlyList<WorkCompletion> completions, CancellationToken cancellationToken = default) =>
        Inner.CompleteAndStartNextAsync(completions, cancellationToken);

    public virtual Task<WorkBatchResult> CommitAsync(WorkBatch batch, CancellationToken cancellationToken = default) =>
        Inner.CommitAsync(batch, cancellationToken);

    public virtual Task<T> ReadAsync<T>(Func<IWorkReader, ValueTask<T>> read, CancellationToken cancellationToken = default) =>
        Inner.ReadAsync(read, cancellationToken);

    public virtual Task MigrateAsync(string component, IReadOnlyList<string> migrations, CancellationToken cancellationToken = default) =>
        Inner.MigrateAsync(component, migrations, cancellationToken);

    public virtual Task<WorkItem?> GetAsync(string queue, string key, CancellationToken cancellationToken = default) =>
        Inner.GetAsync(queue, key, cancellationToken);

    public virtual Task<WorkPage> QueryAsync(string queue, WorkQuery query, CancellationToken cancellationToken = default) =>
        Inner.QueryAsync(queue, query, cancellationToken);

    public virtual Task<IReadOnlyList<QueuedWorkAttempt>> ListAttemptsAsync(string queue, DateTimeOffset finishedFrom, int maxEntries, CancellationToken cancellationToken = default) =>
        Inner.ListAttemptsAsync(queue, finishedFrom, maxEntries, cancellationToken);

    public virtual Task<bool> RequeueAsync(string queue, string key, DateTimeOffset dueAt, CancellationToken cancellationToken = default) =>
        Inner.RequeueAsync(queue, key, dueAt, cancellationToken);

    public virtual Task<int> RequeueFailedAsync(string queue, DateTimeOffset failedSince, DateTimeOffset dueAt, CancellationToken cancellationToken = default) =>
        Inner.RequeueFailedAsync(queue, failedSince, dueAt, cancellationToken);

    public virtual Task<int> PruneAsync(string queue, DateTimeOffset finishedBefore, int maxItems, CancellationToken cancellationToken = default) =>
        Inner.PruneAsync(queue, finishedBefore, maxItems, cancellationToken);

    public virtual Task<int> ReclaimSpaceAsync(int maxPages, CancellationToken cancellationToken = default) =>
        Inner.ReclaimSpaceAsync(maxPages, cancellationToken);

    public virtual Task<long> CountPendingAsync(string queue, CancellationToken cancellationToken = default) =>
        Inner.CountPendingAsync(queue, cancellationToken);

    public virtual Task<DateTimeOffset?> NextDueAtAsync(string queue, CancellationToken cancellationToken = default) =>
        Inner.NextDueAtAsync(queue, cancellationToken);

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return Inner.DisposeAsync();
    }
}
