namespace Switchboard.DurableWork;

/// <summary>
/// What one run of a plan decided: the write-only <see cref="Batch"/> to commit and the <see cref="Result"/> to return
/// once it is committed.
/// </summary>
public sealed record WorkPlan<T>(WorkBatch Batch, T Result);

/// <summary>What <see cref="WorkPlans.PlanAndCommitAsync{T}"/> committed: the result of the plan that committed, or, when the batch's lease was lost, of the last plan.</summary>
public sealed record WorkPlanned<T>(WorkBatchOutcome Outcome, T Result);

/// <summary>A plan whose documents kept changing between its read and its commit, every time it was planned.</summary>
public sealed class WorkPlanConflictException(string message) : InvalidOperationException(message);

/// <summary>
/// The one way to change the store from its current state: read on a snapshot, plan (compute the whole write), commit the
/// planned <see cref="WorkBatch"/> under its version checks; when a check refuses it (something changed since the read),
/// read and plan again from the start.
/// </summary>
public static class WorkPlans
{
    /// <summary>How many times a plan runs, by default, before its conflicts are an error.</summary>
    public const int DefaultMaxPlans = 5;

    /// <summary>
    /// Runs <paramref name="planOnSnapshot"/> on a fresh snapshot (<see cref="IWorkStore.ReadAsync"/>) and commits the
    /// batch it returns; on <see cref="WorkBatchOutcome.Conflict"/> runs it again on a new snapshot, up to
    /// <paramref name="maxPlans"/> times, then throws <see cref="WorkPlanConflictException"/>. The plan may therefore run
    /// several times: it reads only through its reader, writes only into the batch it returns, and keeps nothing from an
    /// earlier run. Returns the committed plan's result (or <see cref="WorkBatchOutcome.LeaseLost"/> with the last plan's,
    /// when the batch completes a work item another worker took over: nothing of it is stored).
    /// </summary>
    public static async Task<WorkPlanned<T>> PlanAndCommitAsync<T>(
        this IWorkStore store, Func<IWorkReader, ValueTask<WorkPlan<T>>> planOnSnapshot, CancellationToken cancellationToken = default,
        int maxPlans = DefaultMaxPlans)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(planOnSnapshot);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPlans);
        for (var plans = 1; ; plans++)
        {
            var plan = await store.ReadAsync(planOnSnapshot, cancellationToken);
            WorkBatchResult result;
            if (plan.Batch.IsEmpty)
            {
                // Nothing to write (say, the document is not there): no turn on the writer.
                plan.Batch.RunCommitted([]);
                result = WorkBatchResult.Committed;
            }
            else
            {
                result = await store.CommitAsync(plan.Batch, cancellationToken);
            }

            switch (result.Outcome)
            {
                case WorkBatchOutcome.Conflict when plans >= maxPlans:
                    throw new WorkPlanConflictException($"what the plan read kept changing before it committed ({plans} plans; last: {result.Detail})");
                case WorkBatchOutcome.Conflict:
                    continue;
                default:
                    return new WorkPlanned<T>(result.Outcome, plan.Result);
            }
        }
    }
}
