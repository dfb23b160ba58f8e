namespace Switchboard.DurableWork.Tests.Storage;

/// <summary>Read, plan, commit, and plan again on a conflict (<see cref="WorkPlans"/>), on both databases.</summary>
public abstract partial class WorkStoreContract
{
    private async Task PutCounterAsync(string body) =>
        Assert.Equal(WorkBatchOutcome.Committed, (await Store.CommitAsync(new WorkBatch().PutDocument(DocumentPut.Create("counter", "c", body)))).Outcome);

    /// <summary>A plan that replaces the counter with its body plus one, after a racing write in its first <paramref name="races"/> runs.</summary>
    private Func<IWorkReader, ValueTask<WorkPlan<string>>> IncrementRacedBy(int races, List<string> reads) => async reader =>
    {
        var read = (await reader.GetDocumentAsync("counter", "c"))!;
        reads.Add(read.Body);
        if (reads.Count <= races)
        {
            var latest = (await Store.ReadAsync(r => r.GetDocumentAsync("counter", "c")))!;
            await Store.CommitAsync(new WorkBatch().PutDocument(DocumentPut.Replace(latest, latest.Body + "r", default)));
        }

        var body = read.Body + "+";
        return new WorkPlan<string>(new WorkBatch().PutDocument(DocumentPut.Replace(read, body, default)), body);
    };

    [Fact]
    public async Task A_plan_whose_read_changed_before_its_commit_is_planned_again_on_a_fresh_snapshot()
    {
        await PutCounterAsync("0");
        var reads = new List<string>();

        var planned = await Store.PlanAndCommitAsync(IncrementRacedBy(1, reads));

        Assert.Equal((WorkBatchOutcome.Committed, "0r+"), (planned.Outcome, planned.Result));
        Assert.Equal(["0", "0r"], reads);
        Assert.Equal("0r+", (await Store.ReadAsync(r => r.GetDocumentAsync("counter", "c")))!.Body);
    }

    [Fact]
    public async Task A_plan_that_keeps_conflicting_stops_after_its_bound_with_a_clear_error_and_writes_nothing()
    {
        await PutCounterAsync("0");
        var reads = new List<string>();

        var error = await Assert.ThrowsAsync<WorkPlanConflictException>(() => Store.PlanAndCommitAsync(IncrementRacedBy(int.MaxValue, reads), maxPlans: 3));

        Assert.Contains("3 plans", error.Message);
        Assert.Contains("counter c", error.Message);
        Assert.Equal(["0", "0r", "0rr"], reads);
        Assert.Equal("0rrr", (await Store.ReadAsync(r => r.GetDocumentAsync("counter", "c")))!.Body);
    }

    [Fact]
    public async Task A_create_that_loses_a_race_for_a_unique_lookup_is_a_conflict_not_an_error()
    {
        var first = new WorkBatch().PutDocument(DocumentPut.Create("number", "n1", "{}", new DocumentColumns(Lookup: "+13125550001")));
        var second = new WorkBatch()
            .PutDocument(DocumentPut.Create("other", "o1", "{}"))
            .PutDocument(DocumentPut.Create("number", "n2", "{}", new DocumentColumns(Lookup: "+13125550001")));

        Assert.Equal(WorkBatchOutcome.Committed, (await Store.CommitAsync(first)).Outcome);
        var lost = await Store.CommitAsync(second);

        Assert.Equal((WorkBatchOutcome.Conflict, "number n2"), (lost.Outcome, lost.Detail));
        Assert.Null(await Store.ReadAsync(r => r.GetDocumentAsync("other", "o1")));
        Assert.Equal("n1", (await Store.ReadAsync(r => r.FindDocumentAsync("number", "+13125550001")))!.Id);
    }

    [Fact]
    public async Task A_batch_prunes_finished_documents_of_one_kind_oldest_first_and_reports_how_many()
    {
        var start = Time.GetUtcNow();
        var batch = new WorkBatch();
        for (var i = 0; i < 4; i++)
        {
            batch.PutDocument(DocumentPut.Create("call", $"done{i}", "{}", new DocumentColumns(FinishedAt: start.AddMinutes(i))));
        }

        batch.PutDocument(DocumentPut.Create("call", "live", "{}"))
            .PutDocument(DocumentPut.Create("other", "done", "{}", new DocumentColumns(FinishedAt: start)));
        Assert.Equal(WorkBatchOutcome.Committed, (await Store.CommitAsync(batch)).Outcome);

        var deleted = new List<int>();
        var prune = new WorkBatch().PruneDocuments("call", start.AddMinutes(3), 2, deleted.Add);
        Assert.Equal(WorkBatchOutcome.Committed, (await Store.CommitAsync(prune)).Outcome);
        Assert.Equal(WorkBatchOutcome.Committed, (await Store.CommitAsync(new WorkBatch().PruneDocuments("call", start.AddMinutes(3), 2, deleted.Add))).Outcome);

        Assert.Equal([2, 1], deleted);
        var left = await Store.ReadAsync(r => r.ListDocumentsAsync("call", new DocumentQuery()));
        Assert.Equal(["done3", "live"], left.Items.Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.NotNull(await Store.ReadAsync(r => r.GetDocumentAsync("other", "done")));
    }
}
