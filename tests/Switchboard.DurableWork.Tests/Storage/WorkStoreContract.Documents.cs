namespace Switchboard.DurableWork.Tests.Storage;

/// <summary>The document set and write-only batches, on both databases.</summary>
public abstract partial class WorkStoreContract
{
    /// <summary>
    /// Takes the open database back to the store's schema before the document set (as the release before it left a
    /// database), runs <paramref name="sql"/> on it, and leaves it closed; <see cref="ReopenAsync"/> opens it again.
    /// </summary>
    protected virtual Task RewindToBeforeDocumentsAsync(params string[] sql) => throw new NotSupportedException();

    /// <summary>What takes a database back to the store's schema before the document set (its migration number <paramref name="version"/>).</summary>
    protected static string BeforeDocuments(int version) =>
        "DROP TABLE work_documents; DROP INDEX IF EXISTS work_items_status; DROP INDEX IF EXISTS work_items_tag; DROP INDEX IF EXISTS work_attempts_finished; " +
        $"DELETE FROM durable_work_schema WHERE version >= {version}";

    protected async Task ReopenAsync() => Replace(await OpenStoreAsync(Time));


    private async Task<WorkBatchOutcome> CommitAsync(WorkBatch batch) => (await Store.CommitAsync(batch)).Outcome;

    private Task<StoredDocument?> GetAsync(string kind, string id) => Store.ReadAsync(r => r.GetDocumentAsync(kind, id));

    [Fact]
    public async Task A_document_is_created_once_and_replaced_only_at_the_version_read()
    {
        var now = Time.GetUtcNow();
        Assert.Equal(WorkBatchOutcome.Committed, await CommitAsync(new WorkBatch().PutDocument(DocumentPut.Create("profile", "p1", """{"a":1}""", new DocumentColumns(Lookup: "L1", Name: "one")))));
        Assert.Equal(WorkBatchOutcome.Conflict, await CommitAsync(new WorkBatch().PutDocument(DocumentPut.Create("profile", "p1", "{}"))));
        var read = (await GetAsync("profile", "p1"))!;
        Assert.Equal((1L, """{"a":1}""", "L1", "one", now), (read.Version, read.Body, read.Columns.Lookup, read.Columns.Name, read.CreatedAt));

        // A replace keeps the lookup when none is given; a second replace from the same read is refused.
        Assert.Equal(WorkBatchOutcome.Committed, await CommitAsync(new WorkBatch().PutDocument(DocumentPut.Replace(read, """{"a":2}""", new DocumentColumns(Name: "two")))));
        Assert.Equal(WorkBatchOutcome.Conflict, await CommitAsync(new WorkBatch().PutDocument(DocumentPut.Replace(read, """{"a":3}""", default))));
        var replaced = (await GetAsync("profile", "p1"))!;
        Assert.Equal((2L, """{"a":2}""", "L1", "two"), (replaced.Version, replaced.Body, replaced.Columns.Lookup, replaced.Columns.Name));
        Assert.Equal("p1", (await Store.ReadAsync(r => r.FindDocumentAsync("profile", "L1")))!.Id);
        Assert.Null(await GetAsync("other-kind", "p1"));

        // Unconditional (a caller holding the document locked), then deleted.
        Assert.Equal(WorkBatchOutcome.Committed, await CommitAsync(new WorkBatch().PutDocument(new DocumentPut("profile", "p1", "{}", default, null))));
        Assert.Equal(3, (await GetAsync("profile", "p1"))!.Version);
        Assert.Equal(WorkBatchOutcome.Conflict, await CommitAsync(new WorkBatch().DeleteDocument("profile", "p1", expectedVersion: 2)));
        Assert.Equal(WorkBatchOutcome.Committed, await CommitAsync(new WorkBatch().DeleteDocument("profile", "p1", expectedVersion: 3)));
        Assert.Equal(WorkBatchOutcome.Conflict, await CommitAsync(new WorkBatch().DeleteDocument("profile", "p1", expectedVersion: 3)));
        Assert.Null(await GetAsync("profile", "p1"));
    }

    [Fact]
    public async Task Documents_are_listed_with_their_filters_newest_first_and_paged()
    {
        var start = Time.GetUtcNow();
        await CommitAsync(new WorkBatch().PutDocument(DocumentPut.Create("elsewhere", "e", """{"status":"ok"}""", new DocumentColumns(Owner: "even"))));
        for (var i = 0; i < 5; i++)
        {
            // One batch a second: a document's creation time is its batch's commit time.
            var columns = new DocumentColumns(
                Lookup: $"+1312555000{i}", Owner: i % 2 == 0 ? "even" : "odd", Link: i < 2 ? "app" : null, Name: $"name_{i}%",
                FinishedAt: i < 3 ? start.AddMinutes(i) : null, StartedAt: start.AddMinutes(-i));
            await CommitAsync(new WorkBatch().PutDocument(DocumentPut.Create("number", $"n{i}", $$"""{"id":"n{{i}}","status":"{{(i == 4 ? "x" : "ok")}}","n":{{i}}}""", columns)));
            Time.Advance(TimeSpan.FromSeconds(1));
        }

        async Task<(string Ids, long Total)> ListAsync(DocumentQuery query)
        {
            var page = await Store.ReadAsync(r => r.ListDocumentsAsync("number", query));
            return (string.Join(",", page.Items.Select(d => d.Id)), page.Total);
        }

        Assert.Equal(("n4,n3,n2,n1,n0", 5L), await ListAsync(new DocumentQuery()));
        Assert.Equal(("n2,n1", 5L), await ListAsync(new DocumentQuery { PageNumber = 2, PageSize = 2 }));
        Assert.Equal(("n4,n2,n0", 3L), await ListAsync(new DocumentQuery { Owner = "even" }));
        Assert.Equal(("n1,n0", 2L), await ListAsync(new DocumentQuery { Link = "app" }));
        Assert.Equal(("n3", 1L), await ListAsync(new DocumentQuery { Name = "name_3%" }));
        // LIKE's wildcards in the text are plain characters.
        Assert.Equal(("n2", 1L), await ListAsync(new DocumentQuery { NameContains = "e_2%" }));
        Assert.Equal((0L), (await ListAsync(new DocumentQuery { NameContains = "e_%2" })).Total);
        Assert.Equal(("n1", 1L), await ListAsync(new DocumentQuery { LookupContains = "0001" }));
        Assert.Equal(("n3,n2,n1,n0", 4L), await ListAsync(new DocumentQuery { BodyEquals = [("status", "\"ok\"")] }));
        Assert.Equal(("n3,n1", 2L), await ListAsync(new DocumentQuery { BodyEquals = [("n", "1"), ("n", "3")] }));
        Assert.Equal(("n2,n1", 2L), await ListAsync(new DocumentQuery { Finished = new(start.AddMinutes(1), start.AddMinutes(2)) }));
        Assert.Equal(("n4,n3", 2L), await ListAsync(new DocumentQuery { Started = new(To: start.AddMinutes(-3)) }));
        Assert.Equal(("n1,n0", 2L), await ListAsync(new DocumentQuery { Created = new(To: start.AddSeconds(1)) }));
        Assert.Equal(("n0,n4", 2L), await ListAsync(new DocumentQuery { Lookups = ["+13125550004", "+13125550000", "+19999999999"], LookupAscending = true }));
        Assert.Equal(0L, (await ListAsync(new DocumentQuery { Lookups = [] })).Total);
        Assert.Equal("n4,n3,n2,n1,n0", (await ListAsync(new DocumentQuery { LookupAscending = false })).Ids);

        Assert.Equal(3, await Store.ReadAsync(r => r.CountOwnedDocumentsAsync("number", "even")));
        Assert.Equal(2, await Store.ReadAsync(r => r.CountOwnedDocumentsAsync("number", "app")));
        Assert.Equal(["+13125550001"], await Store.ReadAsync(r => r.ExistingLookupsAsync("number", ["+13125550001", "+19999999999"])));
    }

    [Fact]
    public async Task A_batch_commits_its_documents_enqueues_and_completion_together()
    {
        await Store.EnqueueAsync(Queue, [Item("step")]);
        var step = Assert.Single(await Store.ClaimAsync(Queue, 1));
        var now = Time.GetUtcNow();
        await CommitAsync(new WorkBatch().PutDocument(DocumentPut.Create("message", "m", """{"status":"queued"}""")));
        var read = (await GetAsync("message", "m"))!;
        IReadOnlyList<EnqueuedItem>? handedOver = null;
        var committed = 0;

        var batch = new WorkBatch()
            .PutDocument(DocumentPut.Replace(read, """{"status":"sent"}""", new DocumentColumns(FinishedAt: now)))
            .PutDocument(DocumentPut.Create("event", "e1", "{}"))
            .Enqueue("webhooks", [Item("w1"), Item("w2", dueIn: TimeSpan.FromMinutes(1))], leased: true, committed: e => handedOver = e)
            .Enqueue(Queue, [Item("next", dueIn: TimeSpan.FromSeconds(5))])
            .Complete(step)
            .OnCommitted(() => committed++);
        Assert.Equal(WorkBatchOutcome.Committed, (await Store.CommitAsync(batch)).Outcome);

        Assert.Equal(1, committed);
        Assert.Equal(["w1"], handedOver!.Where(e => e.Leased is not null).Select(e => e.Leased!.Key));
        Assert.Equal([true, true], handedOver!.Select(e => e.Added));
        Assert.Equal((2L, """{"status":"sent"}"""), ((await GetAsync("message", "m"))!.Version, (await GetAsync("message", "m"))!.Body));
        Assert.NotNull(await GetAsync("event", "e1"));
        Assert.Equal(WorkStatus.Succeeded, (await Store.GetAsync(Queue, "step"))!.Status);
        Assert.Equal(1, (await Store.GetAsync(Queue, "step"))!.Attempts);
        Assert.Equal(WorkStatus.Pending, (await Store.GetAsync(Queue, "next"))!.Status);
        Assert.Equal(2, await Store.CountPendingAsync("webhooks"));
    }

    [Fact]
    public async Task A_batch_refused_by_a_version_check_or_a_lost_lease_stores_nothing()
    {
        await Store.EnqueueAsync(Queue, [Item("step")]);
        var step = Assert.Single(await Store.ClaimAsync(Queue, 1));
        await CommitAsync(new WorkBatch().PutDocument(DocumentPut.Create("message", "m", "v1")));
        var stale = (await GetAsync("message", "m"))!;
        await CommitAsync(new WorkBatch().PutDocument(DocumentPut.Replace(stale, "v2", default)));
        var ran = false;

        var conflict = await Store.CommitAsync(new WorkBatch()
            .Enqueue("webhooks", [Item("w1")], committed: _ => ran = true)
            .PutDocument(DocumentPut.Create("event", "e1", "{}"))
            .PutDocument(DocumentPut.Replace(stale, "v3", default))
            .Complete(step));
        Assert.Equal(WorkBatchOutcome.Conflict, conflict.Outcome);
        Assert.Contains("message m", conflict.Detail, StringComparison.Ordinal);
        Assert.False(ran);
        Assert.Equal("v2", (await GetAsync("message", "m"))!.Body);
        Assert.Null(await GetAsync("event", "e1"));
        Assert.Equal(0, await Store.CountPendingAsync("webhooks"));
        Assert.Equal(WorkStatus.Pending, (await Store.GetAsync(Queue, "step"))!.Status);

        // Read again, built again: committed. The same completion a second time finds its lease gone.
        var fresh = (await GetAsync("message", "m"))!;
        Assert.Equal(WorkBatchOutcome.Committed, (await Store.CommitAsync(new WorkBatch().PutDocument(DocumentPut.Replace(fresh, "v3", default)).Complete(step))).Outcome);
        var again = await Store.CommitAsync(new WorkBatch().PutDocument(DocumentPut.Create("event", "e2", "{}")).Complete(step));
        Assert.Equal(WorkBatchOutcome.LeaseLost, again.Outcome);
        Assert.Null(await GetAsync("event", "e2"));
    }

    /// <summary>Run by each backend's tests (with <see cref="RewindToBeforeDocumentsAsync"/>).</summary>
    protected async Task DatabaseOfTheReleaseBeforeDocumentsIsAdoptedAsync()
    {
        await RewindToBeforeDocumentsAsync([
            .. LegacyPlatformSchema.Migrations,
            "INSERT INTO work_component_schema (component, version) VALUES ('platform', 5)",
            "INSERT INTO platform_resources (kind, id, lookup, owner, connection_id, name, body, created_at, updated_at, finished_at, started_at) " +
            "VALUES ('phone_number', 'n1', '+13125550001', 'profile', 'app', NULL, '{\"id\":\"n1\"}', 1000, 2000, NULL, NULL)",
            "INSERT INTO platform_resources (kind, id, body, created_at, updated_at, finished_at, started_at) VALUES ('recording', 'r1', '{}', 1000, 3000, 3000, 500)",
            "INSERT INTO platform_settings (name, value) VALUES ('global_webhooks', '{\"webhook_url\":\"https://example.com\"}')",
            "INSERT INTO platform_call_commands (call_control_id, command_id, action, created_at) VALUES ('call', 'c1', 'answer', 4000)",
        ]);
        await ReopenAsync();

        var number = (await Store.ReadAsync(r => r.FindDocumentAsync("phone_number", "+13125550001")))!;
        Assert.Equal(("n1", 1L, """{"id":"n1"}""", "profile", "app", 1000L), (number.Id, number.Version, number.Body, number.Columns.Owner, number.Columns.Link, number.CreatedAt.ToUnixTimeMilliseconds()));
        var recording = (await GetAsync("recording", "r1"))!;
        Assert.Equal((3000L, 500L), (recording.Columns.FinishedAt!.Value.ToUnixTimeMilliseconds(), recording.Columns.StartedAt!.Value.ToUnixTimeMilliseconds()));
        Assert.Equal("""{"webhook_url":"https://example.com"}""", (await GetAsync("setting", "global_webhooks"))!.Body);
        var command = (await GetAsync("call_command", "call:c1"))!;
        Assert.Equal(("call", "answer", 4000L), (command.Columns.Owner, command.Columns.Name, command.CreatedAt.ToUnixTimeMilliseconds()));
        // The old tables are gone (their rows live on as documents), and the store keeps working on top.
        await Assert.ThrowsAnyAsync<Exception>(() => Store.ReadAsync(r => r.QueryAsync("SELECT count(*) FROM platform_resources", x => x.GetInt64(0))));
        Assert.Equal([true], await Store.EnqueueAsync(Queue, [Item("after")]));
    }
}
