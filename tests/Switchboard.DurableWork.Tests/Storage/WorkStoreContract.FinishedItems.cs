namespace Switchboard.DurableWork.Tests.Storage;

/// <summary>A batch's finished items (a log no worker takes) and its pruning, on both databases.</summary>
public abstract partial class WorkStoreContract
{
    [Fact]
    public async Task A_batch_adds_finished_items_no_worker_takes_and_prunes_the_oldest()
    {
        IReadOnlyList<bool>? added = null;
        Assert.Equal(WorkBatchOutcome.Committed, (await Store.CommitAsync(new WorkBatch()
            .Enqueue(Queue, [Item("work")])
            .AddFinished(Queue, [Item("log-1"), Item("log-1"), Item("work")], committed: a => added = a))).Outcome);
        Time.Advance(TimeSpan.FromSeconds(1));
        IReadOnlyList<bool>? second = null;
        await Store.CommitAsync(new WorkBatch().AddFinished(Queue, [Item("log-2")], a => second = a));

        Assert.Equal([true, false, false], added);
        Assert.Equal([true], second);
        var record = (await Store.GetAsync(Queue, "log-1"))!;
        Assert.Equal((WorkStatus.Succeeded, 1, Time.GetUtcNow().AddSeconds(-1)), (record.Status, record.Attempts, record.FinishedAt));
        Assert.Empty(record.AttemptLog);
        Assert.Equal(["work"], (await Store.ClaimAsync(Queue, 10)).Select(c => c.Key));

        // Oldest finished first, in the same commit as what else the batch writes; the pending item stays.
        Time.Advance(TimeSpan.FromSeconds(1));
        await Store.CommitAsync(new WorkBatch().Prune(Queue, DateTimeOffset.MaxValue, 1).AddFinished(Queue, [Item("log-3")]));
        Assert.Null(await Store.GetAsync(Queue, "log-1"));
        Assert.Equal(["log-2", "log-3", "work"], (await Store.QueryAsync(Queue, new WorkQuery())).Items.Select(i => i.Key).Order(StringComparer.Ordinal));
        await Store.CommitAsync(new WorkBatch().Prune(Queue, Time.GetUtcNow(), 5));
        Assert.Null(await Store.GetAsync(Queue, "log-2"));
        Assert.NotNull(await Store.GetAsync(Queue, "log-3"));

        // A pruned key is free again.
        await Store.CommitAsync(new WorkBatch().AddFinished(Queue, [Item("log-1")], a => added = a));
        Assert.Equal([true], added);
    }

    [Fact]
    public async Task A_batch_adds_finished_items_only_if_the_enqueue_before_them_added_its_items()
    {
        IReadOnlyList<bool>? fresh = null, duplicate = null, recordOfFresh = null, recordOfDuplicate = null;
        await Store.CommitAsync(new WorkBatch()
            .Enqueue(Queue, [Item("event")], committed: e => fresh = [.. e.Select(i => i.Added)])
            .AddFinished("log", [Item("accepted-1")], a => recordOfFresh = a, onlyIfPreviousAdded: true));
        await Store.CommitAsync(new WorkBatch()
            .Enqueue(Queue, [Item("event")], committed: e => duplicate = [.. e.Select(i => i.Added)])
            .AddFinished("log", [Item("accepted-2")], a => recordOfDuplicate = a, onlyIfPreviousAdded: true));

        Assert.Equal([true, true], [.. fresh!, .. recordOfFresh!]);
        Assert.Equal([false, false], [.. duplicate!, .. recordOfDuplicate!]);
        Assert.NotNull(await Store.GetAsync("log", "accepted-1"));
        Assert.Null(await Store.GetAsync("log", "accepted-2"));
        Assert.Equal(1, await Store.CountPendingAsync(Queue));
    }
}
