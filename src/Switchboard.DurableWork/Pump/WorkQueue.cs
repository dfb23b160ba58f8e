namespace Switchboard.DurableWork;

/// <summary>
/// One queue of a store, for those who add work to it: enqueue items alone or inside your own <see cref="WorkBatch"/>
/// (stored with your state change, or not at all), and wake the worker. While a <see cref="WorkQueueWorker"/> of this
/// queue object runs in this process, items that may start now are stored leased to it and handed over in memory (once
/// the batch commits; never if it fails); otherwise they are stored due, for
/// whichever worker claims them, in this process or another.
/// </summary>
/// <remarks>
/// Items are unique on their key within the queue: enqueueing a key the queue holds already adds nothing, and the
/// result says so. One object per queue and store in a process: the worker attaches to the object it was given.
/// With <see cref="WorkQueueServiceCollectionExtensions.AddWorkQueue{THandler}(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, Func{IServiceProvider, WorkQueueWorkerOptions?})"/>, take it from the container as a keyed
/// service (the key is the queue's name).
/// </remarks>
public sealed class WorkQueue
{
    private WorkQueueWorker? _worker;

    public WorkQueue(IWorkStore store, string name)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Store = store;
        Name = name;
    }

    /// <summary>The queue's name in the store.</summary>
    public string Name { get; }

    internal IWorkStore Store { get; }

#pragma warning disable RS0026, RS0027 // The optional CancellationToken comes last, as in .NET's own async methods; the transaction overload has none (the transaction is the scope).
    /// <summary>
    /// Adds items in one transaction, durable when this returns; each result says whether its key was new. With a worker
    /// of this queue running here and room in its hands, the ones due now start at once, without a claim.
    /// </summary>
    public Task<IReadOnlyList<bool>> EnqueueAsync(IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _worker) is { } worker ? worker.EnqueueAsync(items, cancellationToken) : Store.EnqueueAsync(Name, items, cancellationToken);
#pragma warning restore RS0026, RS0027

    /// <summary>
    /// Adds items to <paramref name="batch"/> (a batch for this queue's store): stored if and only if the batch commits,
    /// with the rest of it. With a worker of this queue running here, the ones due now are handed to it once it commits.
    /// <paramref name="committed"/> gets, once the batch committed, whether each item's key was new.
    /// </summary>
    public void Enqueue(WorkBatch batch, IReadOnlyList<NewWorkItem> items, Action<IReadOnlyList<bool>>? committed = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (Volatile.Read(ref _worker) is { } worker)
        {
            worker.Enqueue(batch, items, committed);
        }
        else
        {
            batch.Enqueue(Name, items, committed: committed is null ? null : enqueued => committed([.. enqueued.Select(e => e.Added)]));
        }
    }

    /// <summary>Work may be due now (requeued, replayed, written elsewhere): the worker of this process looks at once instead of at its next poll.</summary>
    public void Notify() => Volatile.Read(ref _worker)?.Notify();

    /// <summary>A worker starts: it takes what is enqueued here from now on.</summary>
    internal void Attach(WorkQueueWorker worker) => Volatile.Write(ref _worker, worker);

    /// <summary>A worker stopped; a later one may have attached already, and stays.</summary>
    internal void Detach(WorkQueueWorker worker) => Interlocked.CompareExchange(ref _worker, null, worker);
}
