using Microsoft.Extensions.Time.Testing;

namespace Switchboard.DurableWork.Tests.Storage;

/// <summary>
/// The one contract every <see cref="IWorkStore"/> keeps, run once per backend (SQLite and a real PostgreSQL).
/// Time is a fake clock: items fall due only when a test advances it.
/// </summary>
public abstract partial class WorkStoreContract : IAsyncLifetime
{
    private const string Queue = "jobs";

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 10, 24, 18, 0, 0, TimeSpan.Zero));

    protected IWorkStore Store { get; private set; } = null!;

    protected abstract Task<IWorkStore> OpenStoreAsync(TimeProvider time);

    /// <summary>
    /// The store's worker stops without a word, as a crash does (its process killed, or its heartbeat gone), and the work
    /// goes on elsewhere: returns the store the next worker uses (SQLite: the file opened again, as a restarted process
    /// does; PostgreSQL: another worker, once the first one's heartbeat is too old). <see cref="Store"/> becomes that store.
    /// </summary>
    protected abstract Task<IWorkStore> WorkerStoppedAsync();

    protected void Replace(IWorkStore store) => Store = store;

    public async Task InitializeAsync() => Store = await OpenStoreAsync(Time);

    public virtual async Task DisposeAsync() => await Store.DisposeAsync();

    private NewWorkItem Item(string key, TimeSpan? dueIn = null, string? tag = null, string? payload = null, int maxAttempts = 5, string? orderingKey = null) =>
        new(key, payload ?? $"{{\"key\":\"{key}\"}}", Time.GetUtcNow() + (dueIn ?? TimeSpan.Zero), maxAttempts, tag, "context-" + key, orderingKey);

    private static WorkAttemptRecord LogEntry(int attempt, DateTimeOffset at, bool succeeded, string detail) =>
        new(attempt, at, at.AddMilliseconds(20), succeeded, detail);

    [Fact]
    public async Task Enqueue_is_idempotent_on_the_key()
    {
        Assert.Equal([true, true], await Store.EnqueueAsync(Queue, [Item("a"), Item("b", payload: "first")]));
        Assert.Equal([false, true], await Store.EnqueueAsync(Queue, [Item("b", payload: "second"), Item("c")]));
        Assert.Equal([true, false], await Store.EnqueueAsync(Queue, [Item("d"), Item("d")]));

        Assert.Equal(4, await Store.CountPendingAsync(Queue));
        Assert.Equal("first", (await Store.GetAsync(Queue, "b"))!.Payload);
    }

    [Fact]
    public async Task Recent_attempts_of_one_queue_come_latest_first_and_bounded()
    {
        await Store.EnqueueAsync(Queue, [Item("old"), Item("new")]);
        await Store.EnqueueAsync("other", [Item("elsewhere")]);
        var claimed = (await Store.ClaimAsync(Queue, 10)).ToDictionary(c => c.Key);
        var start = Time.GetUtcNow();
        await Store.CompleteAsync([WorkCompletion.Retry(claimed["old"].Lease, start, [LogEntry(1, start.AddMinutes(-10), false, "too old")])]);
        await Store.CompleteAsync([
            WorkCompletion.Succeeded(claimed["new"].Lease, [LogEntry(1, start.AddSeconds(1), false, "first url"), LogEntry(1, start.AddSeconds(2), true, "failover")]),
        ]);
        var other = Assert.Single(await Store.ClaimAsync("other", 10));
        await Store.CompleteAsync([WorkCompletion.Succeeded(other.Lease, [LogEntry(1, start.AddSeconds(3), true, "other queue")])]);

        var recent = await Store.ListAttemptsAsync(Queue, start.AddMinutes(-1), 10);
        Assert.Equal([("new", "failover"), ("new", "first url")], recent.Select(a => (a.Key, a.Attempt.Detail)));
        Assert.Equal(["failover"], (await Store.ListAttemptsAsync(Queue, start.AddMinutes(-1), 1)).Select(a => a.Attempt.Detail));
        Assert.Equal(3, (await Store.ListAttemptsAsync(Queue, start.AddHours(-1), 10)).Count);
    }

    [Fact]
    public async Task Queues_are_separate()
    {
        await Store.EnqueueAsync(Queue, [Item("a")]);
        Assert.Equal([true], await Store.EnqueueAsync("other", [Item("a")]));

        Assert.Single(await Store.ClaimAsync("other", 10));
        Assert.Single(await Store.ClaimAsync(Queue, 10));
        Assert.Null(await Store.GetAsync("third", "a"));
    }

    [Fact]
    public async Task Claim_takes_only_due_items_earliest_first_and_stores_the_lease()
    {
        await Store.EnqueueAsync(Queue, [Item("now"), Item("later", TimeSpan.FromMinutes(1)), Item("overdue", TimeSpan.FromMinutes(-1))]);

        var claimed = await Store.ClaimAsync(Queue, 10);

        Assert.Equal(["overdue", "now"], claimed.Select(c => c.Key));
        var first = claimed[0];
        Assert.Equal(Time.GetUtcNow().AddMinutes(-1), first.DueAt);
        Assert.Equal((0, 5, "{\"key\":\"overdue\"}", "context-overdue"), (first.Attempts, first.MaxAttempts, first.Payload, first.Context));
        Assert.StartsWith(Store.WorkerId, first.Lease.Token, StringComparison.Ordinal);
        var stored = await Store.GetAsync(Queue, "overdue");
        Assert.Equal((WorkStatus.Pending, first.Lease.Token, Time.GetUtcNow()), (stored!.Status, stored.LeaseOwner, stored.LeasedAt));
        Assert.Equal(Time.GetUtcNow().AddMinutes(1), await Store.NextDueAtAsync(Queue));
    }

    [Fact]
    public async Task Claim_respects_the_batch_size_and_a_leased_item_is_not_claimed_again()
    {
        await Store.EnqueueAsync(Queue, [.. Enumerable.Range(0, 5).Select(i => Item($"k{i}", TimeSpan.FromSeconds(-i)))]);

        var first = await Store.ClaimAsync(Queue, 3);
        var second = await Store.ClaimAsync(Queue, 10);
        var third = await Store.ClaimAsync(Queue, 10);

        Assert.Equal(["k4", "k3", "k2"], first.Select(c => c.Key));
        Assert.Equal(["k1", "k0"], second.Select(c => c.Key));
        Assert.Empty(third);
    }

    [Fact]
    public async Task A_lease_lasts_however_long_the_work_takes_and_its_result_is_then_recorded()
    {
        await Store.EnqueueAsync(Queue, [Item("slow")]);
        var claimed = Assert.Single(await Store.ClaimAsync(Queue, 10));

        Time.Advance(TimeSpan.FromDays(1));

        Assert.Empty(await Store.ClaimAsync(Queue, 10));
        Assert.Null(await Store.NextDueAtAsync(Queue));
        Assert.Equal([true], await Store.CompleteAsync([WorkCompletion.Succeeded(claimed.Lease, [LogEntry(1, Time.GetUtcNow(), true, "done at last")])]));
        Assert.Equal(WorkStatus.Succeeded, (await Store.GetAsync(Queue, "slow"))!.Status);
    }

    [Fact]
    public async Task A_stopped_workers_items_are_due_again_at_once_with_the_interrupted_attempt_counted_and_logged()
    {
        await Store.EnqueueAsync(Queue, [Item("in-flight"), Item("retried"), Item("untouched", TimeSpan.FromHours(1))]);
        var claimed = (await Store.ClaimAsync(Queue, 10)).ToDictionary(c => c.Key);
        await Store.CompleteAsync([WorkCompletion.Retry(claimed["retried"].Lease, Time.GetUtcNow(), [LogEntry(1, Time.GetUtcNow(), false, "500")])]);
        var retried = Assert.Single(await Store.ClaimAsync(Queue, 10));
        var leasedAt = Time.GetUtcNow();
        Time.Advance(TimeSpan.FromSeconds(3));

        var next = await WorkerStoppedAsync();

        var resumed = (await next.ClaimAsync(Queue, 10)).ToDictionary(c => c.Key);
        Assert.Equal(["in-flight", "retried"], resumed.Keys.Order());
        Assert.Equal((1, Time.GetUtcNow()), (resumed["in-flight"].Attempts, resumed["in-flight"].DueAt));
        Assert.Equal(2, resumed["retried"].Attempts);
        var interrupted = Assert.Single((await next.GetAsync(Queue, "in-flight"))!.AttemptLog);
        Assert.True(interrupted.IsInterruption);
        Assert.Equal((1, leasedAt, Time.GetUtcNow(), false), (interrupted.Attempt, interrupted.StartedAt, interrupted.FinishedAt, interrupted.Succeeded));
        Assert.Equal([2, 1], (await next.GetAsync(Queue, "retried"))!.AttemptLog.Select(a => a.Attempt));
        Assert.Equal(WorkStatus.Pending, (await next.GetAsync(Queue, "untouched"))!.Status);

        // The stopped worker's late results are refused; the new lease's are recorded.
        Assert.Equal([false, false], await next.CompleteAsync([
            WorkCompletion.Succeeded(claimed["in-flight"].Lease, [LogEntry(1, Time.GetUtcNow(), true, "late")]),
            WorkCompletion.Succeeded(retried.Lease, [])]));
        Assert.Equal([true], await next.CompleteAsync([WorkCompletion.Succeeded(resumed["in-flight"].Lease, [LogEntry(2, Time.GetUtcNow(), true, "ok")])]));
        var done = await next.GetAsync(Queue, "in-flight");
        Assert.Equal((WorkStatus.Succeeded, 2), (done!.Status, done.Attempts));
        Assert.Equal(["ok", WorkAttempt.InterruptedDetail], done.AttemptLog.Select(a => a.Detail));
    }

    [Fact]
    public async Task Enqueue_leased_adds_items_leased_to_the_store_worker_idempotently()
    {
        await Store.EnqueueAsync(Queue, [Item("existing", payload: "first")]);

        var leased = await Store.EnqueueLeasedAsync(Queue, [Item("fresh"), Item("existing", payload: "second"), Item("fresh"), Item("later", TimeSpan.FromMinutes(1))]);

        Assert.Equal([true, false, false, true], leased.Select(e => e.Added));
        Assert.Equal([true, false, false, false], leased.Select(e => e.Leased is not null));
        var fresh = leased[0].Leased!;
        Assert.Equal(("fresh", 0, 5, Time.GetUtcNow()), (fresh.Key, fresh.Attempts, fresh.MaxAttempts, fresh.DueAt));
        Assert.Equal("context-fresh", fresh.Context);
        var stored = await Store.GetAsync(Queue, "fresh");
        Assert.Equal((WorkStatus.Pending, fresh.Lease.Token, Time.GetUtcNow()), (stored!.Status, stored.LeaseOwner, stored.LeasedAt));
        Assert.Equal("first", (await Store.GetAsync(Queue, "existing"))!.Payload);
        Assert.Equal(["existing"], (await Store.ClaimAsync(Queue, 10)).Select(c => c.Key));
        Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(["later"], (await Store.ClaimAsync(Queue, 10)).Select(c => c.Key));
        Assert.Equal([true], await Store.CompleteAsync([WorkCompletion.Succeeded(fresh.Lease, [LogEntry(1, Time.GetUtcNow(), true, "ok")])]));
        var done = await Store.GetAsync(Queue, "fresh");
        Assert.Equal((WorkStatus.Succeeded, 1, null), (done!.Status, done.Attempts, done.LeaseOwner));
    }

    [Fact]
    public async Task Items_with_one_ordering_key_start_one_at_a_time_in_enqueue_order()
    {
        var added = await Store.EnqueueLeasedAsync(Queue, [Item("m1-sent", orderingKey: "m1"), Item("m1-delivered", orderingKey: "m1"), Item("m2-sent", orderingKey: "m2")]);
        await Store.EnqueueAsync(Queue, [Item("m1-finalized", orderingKey: "m1"), Item("unordered")]);

        Assert.Equal([true, false, true], added.Select(a => a.Leased is not null));
        Assert.Equal(WorkStatus.Waiting, (await Store.GetAsync(Queue, "m1-delivered"))!.Status);
        Assert.Equal(["unordered"], (await Store.ClaimAsync(Queue, 10)).Select(c => c.Key));
        Assert.Equal(5, await Store.CountPendingAsync(Queue));
        Assert.Equal("m1", added[0].Leased!.OrderingKey);

        // A retry keeps its place at the head: nothing behind it starts.
        await Store.CompleteAsync([WorkCompletion.Retry(added[0].Leased!.Lease, Time.GetUtcNow().AddMinutes(1), [])]);
        Assert.Empty(await Store.ClaimAsync(Queue, 10));
        Time.Advance(TimeSpan.FromMinutes(1));
        var sent = Assert.Single(await Store.ClaimAsync(Queue, 10));
        Assert.Equal("m1-sent", sent.Key);

        // Failing for good lets the next one start; the one after it still waits.
        await Store.CompleteAsync([WorkCompletion.Failed(sent.Lease, [])]);
        var delivered = Assert.Single(await Store.ClaimAsync(Queue, 10));
        Assert.Equal(("m1-delivered", Time.GetUtcNow()), (delivered.Key, delivered.DueAt));
        Assert.Equal(WorkStatus.Waiting, (await Store.GetAsync(Queue, "m1-finalized"))!.Status);
        await Store.CompleteAsync([WorkCompletion.Succeeded(delivered.Lease, [])]);
        Assert.Equal(["m1-finalized"], (await Store.ClaimAsync(Queue, 10)).Select(c => c.Key));
        Assert.Equal(WorkStatus.Pending, (await Store.GetAsync(Queue, "m2-sent"))!.Status);
    }

    [Fact]
    public async Task Completing_in_order_can_lease_the_next_item_of_the_key_to_the_caller_at_once()
    {
        var first = (await Store.EnqueueLeasedAsync(Queue, [Item("a1", orderingKey: "a"), Item("a2", orderingKey: "a")]))[0].Leased!;
        await Store.EnqueueAsync(Queue, [Item("b1", orderingKey: "b"), Item("a3", orderingKey: "a", dueIn: TimeSpan.FromMinutes(5))]);

        var result = await Store.CompleteAndStartNextAsync([WorkCompletion.Succeeded(first.Lease, [])]);

        Assert.Equal([true], result.Recorded);
        var next = Assert.Single(result.Started);
        Assert.Equal(("a2", "a", 0), (next.Key, next.OrderingKey, next.Attempts));
        Assert.Equal(["b1"], (await Store.ClaimAsync(Queue, 10)).Select(c => c.Key));
        Assert.Equal(next.Lease.Token, (await Store.GetAsync(Queue, "a2"))!.LeaseOwner);

        // The one after is not due yet: it starts (pending) but is not leased; its time comes, and a claim takes it.
        var last = await Store.CompleteAndStartNextAsync([WorkCompletion.Succeeded(next.Lease, [])]);
        Assert.Empty(last.Started);
        Assert.Equal(WorkStatus.Pending, (await Store.GetAsync(Queue, "a3"))!.Status);
        Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(["a3"], (await Store.ClaimAsync(Queue, 10)).Select(c => c.Key));
    }

    [Fact]
    public async Task A_components_migrations_run_once_each_in_order()
    {
        string[] first = ["CREATE TABLE contract_things (id INTEGER PRIMARY KEY)"];
        await Store.MigrateAsync("things", first);
        await Store.MigrateAsync("things", first);
        await Store.MigrateAsync("things", [.. first, "ALTER TABLE contract_things ADD COLUMN name TEXT"]);
        await Store.MigrateAsync("things", [.. first, "ALTER TABLE contract_things ADD COLUMN name TEXT"]);

        // The second migration ran (the column is there), once (a second ALTER would have failed).
        Assert.Empty(await Store.ReadAsync(r => r.QueryAsync("SELECT name FROM contract_things", row => row.GetString(0))));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.MigrateAsync("things", [" "]));
    }

    [Fact]
    public async Task Retry_counts_an_attempt_and_makes_the_item_due_at_the_retry_time()
    {
        await Store.EnqueueAsync(Queue, [Item("job")]);
        var claimed = Assert.Single(await Store.ClaimAsync(Queue, 10));
        var retryAt = Time.GetUtcNow().AddMinutes(1);

        Assert.Equal([true], await Store.CompleteAsync([WorkCompletion.Retry(claimed.Lease, retryAt, [LogEntry(1, Time.GetUtcNow(), false, "500")])]));

        Assert.Empty(await Store.ClaimAsync(Queue, 10));
        Assert.Equal(retryAt, await Store.NextDueAtAsync(Queue));
        Time.Advance(TimeSpan.FromMinutes(1));
        var again = Assert.Single(await Store.ClaimAsync(Queue, 10));
        Assert.Equal((1, retryAt), (again.Attempts, again.DueAt));
        var item = await Store.GetAsync(Queue, "job");
        Assert.Equal((WorkStatus.Pending, (DateTimeOffset?)null), (item!.Status, item.FinishedAt));
    }

    [Fact]
    public async Task Release_gives_the_item_back_without_counting_an_attempt()
    {
        await Store.EnqueueAsync(Queue, [Item("job")]);
        var claimed = Assert.Single(await Store.ClaimAsync(Queue, 10));

        Assert.Equal([true], await Store.CompleteAsync([WorkCompletion.Release(claimed.Lease, Time.GetUtcNow())]));

        var again = Assert.Single(await Store.ClaimAsync(Queue, 10));
        Assert.Equal(0, again.Attempts);
        Assert.Empty((await Store.GetAsync(Queue, "job"))!.AttemptLog);
    }

    [Fact]
    public async Task A_completed_lease_cannot_complete_twice()
    {
        await Store.EnqueueAsync(Queue, [Item("job")]);
        var claimed = Assert.Single(await Store.ClaimAsync(Queue, 10));

        Assert.Equal([true, false], await Store.CompleteAsync([WorkCompletion.Failed(claimed.Lease, []), WorkCompletion.Succeeded(claimed.Lease, [])]));
        Assert.Equal([false], await Store.CompleteAsync([WorkCompletion.Succeeded(claimed.Lease, [])]));
        var item = await Store.GetAsync(Queue, "job");
        Assert.Equal((WorkStatus.Failed, 1), (item!.Status, item.Attempts));
    }

    [Fact]
    public async Task The_attempt_log_comes_back_newest_first()
    {
        await Store.EnqueueAsync(Queue, [Item("job")]);
        var start = Time.GetUtcNow();
        var first = Assert.Single(await Store.ClaimAsync(Queue, 10));
        await Store.CompleteAsync([WorkCompletion.Retry(first.Lease, start, [LogEntry(1, start, false, "primary 500"), LogEntry(1, start.AddSeconds(1), false, "failover 503")])]);
        var second = Assert.Single(await Store.ClaimAsync(Queue, 10));
        await Store.CompleteAsync([WorkCompletion.Succeeded(second.Lease, [LogEntry(2, start.AddSeconds(2), true, "primary 200")])]);

        var item = await Store.GetAsync(Queue, "job");

        Assert.Equal(["primary 200", "failover 503", "primary 500"], item!.AttemptLog.Select(a => a.Detail));
        Assert.Equal([2, 1, 1], item.AttemptLog.Select(a => a.Attempt));
        var newest = item.AttemptLog[0];
        Assert.Equal((start.AddSeconds(2), start.AddSeconds(2).AddMilliseconds(20), true), (newest.StartedAt, newest.FinishedAt, newest.Succeeded));
        Assert.Equal((WorkStatus.Succeeded, 2), (item.Status, item.Attempts));
    }

    [Fact]
    public async Task Queries_filter_by_status_tag_time_and_text_and_page_newest_first()
    {
        var t0 = Time.GetUtcNow();
        await Store.EnqueueAsync(Queue, [Item("sent-1", tag: "message.sent", payload: "{\"text\":\"Hello\"}")]);
        Time.Advance(TimeSpan.FromMinutes(1));
        await Store.EnqueueAsync(Queue, [Item("sent-2", tag: "message.sent", payload: "{\"text\":\"hello again\"}"), Item("call-1", tag: "call.hangup")]);
        Time.Advance(TimeSpan.FromMinutes(1));
        var claimed = await Store.ClaimAsync(Queue, 10);
        await Store.CompleteAsync([.. claimed.Select(c => c.Key switch
        {
            "sent-1" => WorkCompletion.Succeeded(c.Lease, [LogEntry(1, Time.GetUtcNow(), true, "{\"status\":200}")]),
            "sent-2" => WorkCompletion.Failed(c.Lease, [LogEntry(1, Time.GetUtcNow(), false, "{\"status\":503,\"body\":\"upstream down\"}")]),
            _ => WorkCompletion.Retry(c.Lease, Time.GetUtcNow().AddHours(1), [LogEntry(1, Time.GetUtcNow(), false, "{\"error\":\"timeout\"}")]),
        })]);

        async Task<string[]> Keys(WorkQuery query) => [.. (await Store.QueryAsync(Queue, query)).Items.Select(i => i.Key)];

        Assert.Equal(["call-1", "sent-2", "sent-1"], await Keys(new WorkQuery()));
        Assert.Equal(["sent-2"], await Keys(new WorkQuery { Status = WorkStatus.Failed }));
        Assert.Equal(["call-1"], await Keys(new WorkQuery { Status = WorkStatus.Pending }));
        Assert.Equal(["sent-2", "sent-1"], await Keys(new WorkQuery { Tag = "message.sent" }));
        Assert.Equal(["sent-1"], await Keys(new WorkQuery { CreatedTo = t0 }));
        Assert.Equal(["call-1", "sent-2"], await Keys(new WorkQuery { CreatedFrom = t0.AddMinutes(1) }));
        Assert.Equal(["sent-2", "sent-1"], await Keys(new WorkQuery { FinishedFrom = t0, FinishedTo = Time.GetUtcNow() }));
        Assert.Equal(["sent-1"], await Keys(new WorkQuery { PayloadContains = "Hello" }));
        Assert.Equal(["sent-2"], await Keys(new WorkQuery { AttemptsContain = "upstream" }));
        Assert.Equal(["sent-2"], await Keys(new WorkQuery { AttemptsContain = "\"status\":503", Tag = "message.sent" }));
        Assert.Empty(await Keys(new WorkQuery { PayloadContains = "%" }));

        var page = await Store.QueryAsync(Queue, new WorkQuery { PageSize = 2, PageNumber = 2 });
        Assert.Equal(["sent-1"], page.Items.Select(i => i.Key));
        Assert.Equal((3, 2), (page.TotalCount, page.TotalPages));
        Assert.Empty(page.Items[0].AttemptLog);

        // With the attempt logs: each item gets its own, newest first.
        var withLogs = await Store.QueryAsync(Queue, new WorkQuery { IncludeAttemptLog = true });
        Assert.Equal(
            ["{\"error\":\"timeout\"}", "{\"status\":503,\"body\":\"upstream down\"}", "{\"status\":200}"],
            withLogs.Items.Select(i => Assert.Single(i.AttemptLog).Detail));
    }

    [Fact]
    public async Task A_completion_that_keeps_its_newest_attempts_bounds_the_log_and_the_count_still_counts_all()
    {
        await Store.EnqueueAsync(Queue, [Item("kept", maxAttempts: 10), Item("whole", maxAttempts: 10)]);
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            // Both in one call, so SQLite's batch path runs as well as its row-by-row one (a single completion).
            var claimed = (await Store.ClaimAsync(Queue, 10)).ToDictionary(c => c.Key);
            var at = Time.GetUtcNow();
            IReadOnlyList<WorkAttemptRecord> log = [LogEntry(attempt, at, false, $"url {attempt}"), LogEntry(attempt, at, false, $"failover {attempt}")];
            var kept = WorkCompletion.Retry(claimed["kept"].Lease, at, log) with { KeepAttempts = 2 };
            var whole = WorkCompletion.Retry(claimed["whole"].Lease, at, log);
            IReadOnlyList<bool> recorded = attempt % 2 == 0 ? await Store.CompleteAsync([kept, whole]) : [.. await Store.CompleteAsync([kept]), .. await Store.CompleteAsync([whole])];
            Assert.Equal([true, true], recorded);
            Time.Advance(TimeSpan.FromSeconds(1));
        }

        var item = await Store.GetAsync(Queue, "kept");
        Assert.Equal(5, item!.Attempts);
        Assert.Equal(["failover 5", "url 5", "failover 4", "url 4"], item.AttemptLog.Select(a => a.Detail));
        Assert.Equal(10, (await Store.GetAsync(Queue, "whole"))!.AttemptLog.Count);
        await Assert.ThrowsAsync<ArgumentException>(() => Store.CompleteAsync([WorkCompletion.Succeeded(new WorkLease(1, "x"), []) with { KeepAttempts = 0 }]));
    }

    [Fact]
    public async Task A_page_can_carry_only_the_newest_entries_of_each_items_log()
    {
        await Store.EnqueueAsync(Queue, [Item("a"), Item("b")]);
        var claimed = await Store.ClaimAsync(Queue, 10);
        var at = Time.GetUtcNow();
        await Store.CompleteAsync([.. claimed.Select(c => WorkCompletion.Retry(c.Lease, at,
            [.. Enumerable.Range(1, 4).Select(i => LogEntry(1, at, false, $"{c.Key} {i}"))]))]);

        var page = await Store.QueryAsync(Queue, new WorkQuery { IncludeAttemptLog = true, MaxAttemptLogEntries = 2 });

        Assert.Equal([["b 4", "b 3"], ["a 4", "a 3"]], page.Items.Select(i => i.AttemptLog.Select(a => a.Detail).ToArray()));
        Assert.Equal(4, (await Store.GetAsync(Queue, "a"))!.AttemptLog.Count);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.QueryAsync(Queue, new WorkQuery { IncludeAttemptLog = true, MaxAttemptLogEntries = 0 }));
    }

    [Fact]
    public async Task Queries_reject_bad_paging()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.QueryAsync(Queue, new WorkQuery { PageNumber = 0 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.QueryAsync(Queue, new WorkQuery { PageSize = WorkQuery.MaxPageSize + 1 }));
    }

    [Fact]
    public async Task Requeue_gives_a_finished_item_one_more_attempt_and_brings_a_pending_one_forward()
    {
        await Store.EnqueueAsync(Queue, [Item("failed"), Item("waiting", TimeSpan.FromHours(1))]);
        var claimed = Assert.Single(await Store.ClaimAsync(Queue, 10));
        await Store.CompleteAsync([WorkCompletion.Failed(claimed.Lease, [])]);

        Assert.True(await Store.RequeueAsync(Queue, "failed", Time.GetUtcNow()));
        Assert.True(await Store.RequeueAsync(Queue, "waiting", Time.GetUtcNow()));
        Assert.False(await Store.RequeueAsync(Queue, "missing", Time.GetUtcNow()));

        var again = await Store.ClaimAsync(Queue, 10);
        Assert.Equal(["failed", "waiting"], again.Select(c => c.Key).Order());
        var failed = again.Single(c => c.Key == "failed");
        Assert.Equal((1, 2), (failed.Attempts, failed.MaxAttempts));
        var dueBefore = (await Store.GetAsync(Queue, "waiting"))!.DueAt;
        Time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await Store.RequeueAsync(Queue, "waiting", Time.GetUtcNow().AddMinutes(-30)), "a leased item exists");
        Assert.Equal(dueBefore, (await Store.GetAsync(Queue, "waiting"))!.DueAt);
    }

    [Fact]
    public async Task RequeueFailed_takes_only_items_that_failed_since_the_given_time()
    {
        await Store.EnqueueAsync(Queue, [Item("old-failure"), Item("success")]);
        foreach (var c in await Store.ClaimAsync(Queue, 10))
        {
            await Store.CompleteAsync([c.Key == "success" ? WorkCompletion.Succeeded(c.Lease, []) : WorkCompletion.Failed(c.Lease, [])]);
        }

        Time.Advance(TimeSpan.FromHours(1));
        var since = Time.GetUtcNow();
        await Store.EnqueueAsync(Queue, [Item("new-failure")]);
        var recent = Assert.Single(await Store.ClaimAsync(Queue, 10));
        await Store.CompleteAsync([WorkCompletion.Failed(recent.Lease, [])]);

        Assert.Equal(1, await Store.RequeueFailedAsync(Queue, since, Time.GetUtcNow()));
        Assert.Equal(["new-failure"], (await Store.ClaimAsync(Queue, 10)).Select(c => c.Key));
        Assert.Equal(WorkStatus.Failed, (await Store.GetAsync(Queue, "old-failure"))!.Status);
    }

    [Fact]
    public async Task Prune_deletes_only_items_finished_before_the_cutoff_with_their_logs()
    {
        await Store.EnqueueAsync(Queue, [Item("old-1"), Item("old-2"), Item("old-3"), Item("pending", TimeSpan.FromDays(10))]);
        foreach (var c in await Store.ClaimAsync(Queue, 10))
        {
            await Store.CompleteAsync([WorkCompletion.Succeeded(c.Lease, [LogEntry(1, Time.GetUtcNow(), true, "ok")])]);
        }

        Time.Advance(TimeSpan.FromDays(2));
        await Store.EnqueueAsync(Queue, [Item("recent")]);
        var recent = Assert.Single(await Store.ClaimAsync(Queue, 10));
        await Store.CompleteAsync([WorkCompletion.Failed(recent.Lease, [])]);
        var cutoff = Time.GetUtcNow().AddDays(-1);

        Assert.Equal(2, await Store.PruneAsync(Queue, cutoff, 2));
        Assert.Equal(1, await Store.PruneAsync(Queue, cutoff, 2));
        Assert.Equal(0, await Store.PruneAsync(Queue, cutoff, 2));

        Assert.Equal(["recent", "pending"], (await Store.QueryAsync(Queue, new WorkQuery())).Items.Select(i => i.Key));
        Assert.Null(await Store.GetAsync(Queue, "old-1"));
        Assert.Empty(await Store.EnqueueAsync(Queue, []));
    }

    [Fact]
    public async Task Pruner_job_applies_the_retention_period()
    {
        await Store.EnqueueAsync(Queue, [Item("a"), Item("b")]);
        foreach (var c in await Store.ClaimAsync(Queue, 10))
        {
            await Store.CompleteAsync([WorkCompletion.Succeeded(c.Lease, [])]);
        }

        var pruner = new WorkPruner(Store, Queue, new RetentionOptions { KeepFinishedFor = TimeSpan.FromDays(7), BatchSize = 1 }, Time);
        Time.Advance(TimeSpan.FromDays(7) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, await pruner.PruneOnceAsync());
        Time.Advance(TimeSpan.FromMilliseconds(2));
        Assert.Equal(2, await pruner.PruneOnceAsync());
    }

    [Fact]
    public async Task Concurrent_claims_from_many_workers_lease_each_item_once()
    {
        const int count = 500;
        await Store.EnqueueAsync(Queue, [.. Enumerable.Range(0, count).Select(i => Item($"k{i}"))]);

        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var mine = new List<ClaimedWorkItem>();
            while (true)
            {
                var batch = await Store.ClaimAsync(Queue, 7);
                if (batch.Count == 0)
                {
                    return mine;
                }

                mine.AddRange(batch);
                Assert.All(await Store.CompleteAsync([.. batch.Select(c => WorkCompletion.Succeeded(c.Lease, []))]), Assert.True);
            }
        }));
        var claimed = (await Task.WhenAll(workers)).SelectMany(m => m).ToList();

        Assert.Equal(count, claimed.Count);
        Assert.Equal(count, claimed.Select(c => c.Key).Distinct().Count());
        Assert.Equal(0, await Store.CountPendingAsync(Queue));
    }

    [Fact]
    public async Task Bad_arguments_are_refused_with_clear_errors()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.EnqueueAsync(Queue, [Item("")]));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.EnqueueAsync(Queue, [Item("a", maxAttempts: 0)]));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.EnqueueAsync(" ", [Item("a")]));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ClaimAsync(Queue, 0));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.CompleteAsync([new WorkCompletion(new WorkLease(1, "x"), WorkOutcome.Retry, null, [])]));
    }
}
