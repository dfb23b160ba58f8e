namespace Switchboard.DurableWork.Pump;

/// <summary>
/// The pump working a queue in this process, while it runs. What is enqueued here goes through it (stored leased to it
/// and handed over in memory while it has room, see <see cref="WorkPump.EnqueueAsync(IReadOnlyList{NewWorkItem}, CancellationToken)"/>); with no pump running, it goes
/// straight to the store, for whichever pump claims it.
/// </summary>
internal class LocalPump
{
    private WorkPump? _pump;

    /// <summary>The pump starts taking what is enqueued here.</summary>
    public void Attach(WorkPump pump) => Volatile.Write(ref _pump, pump);

    /// <summary>The pump stopped; a later pump may have attached already, and stays.</summary>
    public void Detach(WorkPump pump) => Interlocked.CompareExchange(ref _pump, null, pump);

    /// <summary>Enqueues items of <paramref name="queue"/>, the queue the attached pump works; each result says whether its key was new.</summary>
    public Task<IReadOnlyList<bool>> EnqueueAsync(IWorkStore store, string queue, IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _pump) is { } pump ? pump.EnqueueAsync(items, cancellationToken) : store.EnqueueAsync(queue, items, cancellationToken);

    /// <summary>
    /// Enqueues items of <paramref name="queue"/> in <paramref name="transaction"/>: through the attached pump (handed over
    /// once committed), or into the store for whichever pump claims them.
    /// </summary>
    public ValueTask<IReadOnlyList<bool>> EnqueueAsync(IWorkTransaction transaction, string queue, IReadOnlyList<NewWorkItem> items) =>
        Volatile.Read(ref _pump) is { } pump ? pump.EnqueueAsync(transaction, items) : transaction.EnqueueAsync(queue, items);

    /// <summary>Enqueues items of <paramref name="queue"/> in <paramref name="batch"/>, as in a transaction (handed over once it commits).</summary>
    public void Enqueue(WorkBatch batch, string queue, IReadOnlyList<NewWorkItem> items)
    {
        if (Volatile.Read(ref _pump) is { } pump)
        {
            pump.Enqueue(batch, items);
        }
        else
        {
            batch.Enqueue(queue, items);
        }
    }

    /// <summary>Work may be due now (requeued, replayed): the pump looks without waiting for its next poll.</summary>
    public void Notify() => Volatile.Read(ref _pump)?.Notify();
}
