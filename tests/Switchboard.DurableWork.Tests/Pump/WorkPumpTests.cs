using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Switchboard.DurableWork.Pump;
using Switchboard.Testing;

namespace Switchboard.DurableWork.Tests.Pump;

public sealed class WorkPumpTests : IAsyncLifetime
{
    private const string Queue = "jobs";
    private readonly string _folder = Directory.CreateTempSubdirectory("switchboard-pump-").FullName;
    private CountingStore _store = null!;

    public async Task InitializeAsync() =>
        _store = new CountingStore(await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = Path.Combine(_folder, "work.db") }));

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Items_enqueued_while_it_runs_are_handed_over_in_memory_and_each_is_worked_once()
    {
        var worked = new ConcurrentDictionary<string, int>();
        var pump = CountingPump(worked);
        using var stop = new CancellationTokenSource();
        var running = pump.RunAsync(stop.Token);
        var keys = Enumerable.Range(0, 200).Select(i => $"k{i}").ToArray();

        var added = await Task.WhenAll(keys.Select(k => pump.EnqueueAsync([Item(k)])));
        await Eventually.TrueAsync(() => worked.Count == keys.Length, "every item to be worked");
        await stop.CancelAsync();
        await running;

        Assert.All(added, a => Assert.True(a[0]));
        Assert.All(keys, k => Assert.Equal(1, worked[k]));
        Assert.Equal(0, _store.ClaimedItems);
        var page = await _store.QueryAsync(Queue, new WorkQuery { Status = WorkStatus.Succeeded, PageSize = 250 });
        Assert.Equal(keys.Length, page.TotalCount);
        Assert.All(page.Items, i => Assert.Equal(1, i.Attempts));
    }

    [Fact]
    public async Task An_item_enqueued_again_is_not_added_nor_worked_again()
    {
        var worked = new ConcurrentDictionary<string, int>();
        var pump = CountingPump(worked);
        using var stop = new CancellationTokenSource();
        var running = pump.RunAsync(stop.Token);

        var first = await pump.EnqueueAsync([Item("same")]);
        var second = await pump.EnqueueAsync([Item("same")]);
        await Eventually.TrueAsync(() => worked.ContainsKey("same"), "the item to be worked");
        await stop.CancelAsync();
        await running;

        Assert.True(first[0]);
        Assert.False(second[0]);
        Assert.Equal(1, worked["same"]);
    }

    [Fact]
    public async Task Items_enqueued_while_no_pump_runs_are_stored_due_and_claimed_once_one_starts()
    {
        var pump = Pump("a", Done);
        var added = await pump.EnqueueAsync([Item("x"), Item("y")]);
        Assert.Equal([true, true], added);
        Assert.Equal(2, await _store.CountPendingAsync(Queue));

        using var stop = new CancellationTokenSource();
        var running = pump.RunAsync(stop.Token);
        await Eventually.TrueAsync(async () => await _store.CountPendingAsync(Queue) == 0, "the queue to empty");
        await stop.CancelAsync();
        await running;

        Assert.Equal(2, _store.ClaimedItems);
    }

    [Fact]
    public async Task Stopping_gives_back_the_items_in_hand_so_another_pump_works_them_without_waiting_for_leases()
    {
        using var release = new SemaphoreSlim(0);
        var started = 0;
        var first = Pump("first", async item =>
        {
            Interlocked.Increment(ref started);
            await release.WaitAsync();
            return await Done(item);
        }, concurrency: 1);
        using var stopFirst = new CancellationTokenSource();
        var runningFirst = first.RunAsync(stopFirst.Token);
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => first.EnqueueAsync([Item($"k{i}")])));
        await Eventually.TrueAsync(() => Volatile.Read(ref started) == 1, "the handler to start");

        await stopFirst.CancelAsync();
        release.Release();
        await runningFirst;

        var worked = new ConcurrentBag<string>();
        var second = Pump("second", item =>
        {
            worked.Add(item.Key);
            return Done(item);
        });
        using var stopSecond = new CancellationTokenSource();
        var runningSecond = second.RunAsync(stopSecond.Token);
        await Eventually.TrueAsync(async () => await _store.CountPendingAsync(Queue) == 0, "the queue to empty");
        await stopSecond.CancelAsync();
        await runningSecond;

        // The one in progress finished on the first pump; the nine waiting went back and were worked by the second.
        Assert.Equal(9, worked.Count);
        Assert.Equal(10, (await _store.QueryAsync(Queue, new WorkQuery { Status = WorkStatus.Succeeded })).TotalCount);
    }

    [Fact]
    public async Task A_handler_that_throws_gives_the_item_back_for_later_and_the_pump_goes_on()
    {
        var pump = Pump("a", item => item.Key == "bad" ? throw new InvalidOperationException("boom") : Done(item));
        using var stop = new CancellationTokenSource();
        var running = pump.RunAsync(stop.Token);
        var before = DateTimeOffset.UtcNow;

        await pump.EnqueueAsync([Item("bad")]);
        await pump.EnqueueAsync([Item("good")]);
        await Eventually.TrueAsync(async () => (await _store.GetAsync(Queue, "good"))?.Status == WorkStatus.Succeeded, "the good item to succeed");
        await Eventually.TrueAsync(async () => (await _store.GetAsync(Queue, "bad"))?.LeaseOwner is null, "the bad item to be given back");
        await stop.CancelAsync();
        await running;

        var bad = await _store.GetAsync(Queue, "bad");
        Assert.Equal((WorkStatus.Pending, 0), (bad!.Status, bad.Attempts));
        Assert.InRange(bad.DueAt, before + WorkQueueWorker.AfterUnexpectedFailure, DateTimeOffset.UtcNow + WorkQueueWorker.AfterUnexpectedFailure);
    }

    [Fact]
    public async Task A_handler_cut_off_by_a_busy_database_runs_again_at_once_still_leased_and_with_no_attempt_counted()
    {
        var tries = 0;
        var pump = Pump("a", item => Interlocked.Increment(ref tries) <= 2
            ? throw new SqliteException("database is locked", 5)
            : Done(item));
        using var stop = new CancellationTokenSource();
        var running = pump.RunAsync(stop.Token);

        await pump.EnqueueAsync([Item("k")]);
        // Well within the 30 s given back to an item whose handler failed on its own.
        await Eventually.TrueAsync(async () => (await _store.GetAsync(Queue, "k"))?.Status == WorkStatus.Succeeded,
            "the item to succeed once the database answers", TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await running;

        var item = await _store.GetAsync(Queue, "k");
        Assert.Equal(3, tries);
        Assert.Equal(1, item!.Attempts);
        Assert.Equal(0, _store.ClaimedItems); // never given back and claimed again: it stayed with the pump
    }

    [Fact]
    public async Task Results_the_store_cannot_record_while_the_database_is_down_are_recorded_by_the_live_pump_once_it_is_back()
    {
        var recording = new FailingCompletions(_store) { Down = true };
        var pump = new WorkQueueWorker(new WorkQueue(recording, Queue), new DelegateWorkHandler((item, _) => Done(item)), new WorkQueueWorkerOptions { PollInterval = TimeSpan.FromMilliseconds(50) });
        using var stop = new CancellationTokenSource();
        var running = pump.RunAsync(stop.Token);

        await pump.EnqueueAsync([Item("k")]);
        await Eventually.TrueAsync(() => recording.Failures >= 4, "recording to fail a few times");
        recording.Down = false;
        await Eventually.TrueAsync(async () => (await _store.GetAsync(Queue, "k"))?.Status == WorkStatus.Succeeded,
            "the result to be recorded once the database is back", TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task Stopping_while_results_cannot_be_recorded_gives_up_after_its_tries_without_waiting_for_the_clock()
    {
        // The pause between two tries to record is on the worker's clock; on a clock nobody advances (a test's) it never
        // ends by itself, so stopping must cut it short (it hung a Delivery.Tests run).
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var recording = new FailingCompletions(_store) { Down = true };
        var pump = new WorkQueueWorker(new WorkQueue(recording, Queue), new DelegateWorkHandler((item, _) => Done(item)), time: clock);
        using var stop = new CancellationTokenSource();
        var running = pump.RunAsync(stop.Token);

        await pump.EnqueueAsync([Item("k")]);
        await Eventually.TrueAsync(() => recording.Failures >= 1, "recording to fail once");
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(3, recording.Failures);
        // Left leased to this worker: the next start of the store takes it back at once.
        Assert.Equal(WorkStatus.Pending, (await _store.GetAsync(Queue, "k"))!.Status);
    }

    [Fact]
    public async Task Work_in_hand_when_the_process_dies_is_worked_at_once_by_the_next_start_counting_the_interrupted_attempt()
    {
        var inFlight = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var pump = Pump("a", async item =>
        {
            inFlight.TrySetResult();
            await release.Task;
            return await Done(item);
        });
        using (var stop = new CancellationTokenSource())
        {
            var running = pump.RunAsync(stop.Token);
            await pump.EnqueueAsync([Item("job")]);
            await inFlight.Task;

            // The process dies here: the store closes under the pump, its lease still in the file.
            await _store.DisposeAsync();
            _store = new CountingStore(await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = Path.Combine(_folder, "work.db") }));
            await stop.CancelAsync();
            release.SetResult();
            await IgnoreClosedStoreAsync(running);
        }

        var item = await _store.GetAsync(Queue, "job");
        Assert.Equal((WorkStatus.Pending, 1, (string?)null), (item!.Status, item.Attempts, item.LeaseOwner));
        Assert.True(Assert.Single(item.AttemptLog).IsInterruption);

        var worked = new ConcurrentBag<int>();
        var next = Pump("b", claimed =>
        {
            worked.Add(claimed.Attempts);
            return Done(claimed);
        });
        using var stopNext = new CancellationTokenSource();
        var runningNext = next.RunAsync(stopNext.Token);
        await Eventually.TrueAsync(async () => (await _store.GetAsync(Queue, "job"))?.Status == WorkStatus.Succeeded, "the job to succeed");
        await stopNext.CancelAsync();
        await runningNext;

        Assert.Equal([1], worked);
        Assert.Equal([2, 1], (await _store.GetAsync(Queue, "job"))!.AttemptLog.Select(a => a.Attempt));
    }

    private static async Task IgnoreClosedStoreAsync(Task run)
    {
        try
        {
            await run;
        }
        catch (ObjectDisposedException)
        {
        }
    }

    [Fact]
    public async Task Items_with_one_ordering_key_are_worked_one_at_a_time_in_order_while_other_keys_go_on()
    {
        var log = new ConcurrentQueue<string>();
        var running = new ConcurrentDictionary<string, int>();
        var overlaps = 0;
        var pump = Pump("a", async item =>
        {
            var key = item.OrderingKey ?? item.Key;
            if (running.AddOrUpdate(key, 1, (_, n) => n + 1) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            log.Enqueue(item.Key);
            await Task.Delay(item.Key.EndsWith("-0", StringComparison.Ordinal) ? 30 : 1);
            running.AddOrUpdate(key, 0, (_, n) => n - 1);
            return await Done(item);
        }, concurrency: 8);
        using var stop = new CancellationTokenSource();
        var runningPump = pump.RunAsync(stop.Token);

        // Published one event at a time, as a lifecycle does, for five resources at once.
        await Task.WhenAll(Enumerable.Range(0, 5).Select(async r =>
        {
            for (var e = 0; e < 6; e++)
            {
                await pump.EnqueueAsync([Item($"r{r}-{e}", orderingKey: $"r{r}")]);
            }
        }));
        await Eventually.TrueAsync(() => log.Count == 30, "30 items to be logged");
        await stop.CancelAsync();
        await runningPump;

        Assert.Equal(0, overlaps);
        Assert.Equal(0, _store.ClaimedItems); // each next item was handed over by the completion of the one before
        foreach (var r in Enumerable.Range(0, 5))
        {
            Assert.Equal(Enumerable.Range(0, 6).Select(e => $"r{r}-{e}"), log.Where(k => k.StartsWith($"r{r}-", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task Running_a_pump_twice_at_once_is_refused_and_the_first_run_is_unharmed()
    {
        var worked = new ConcurrentDictionary<string, int>();
        var pump = CountingPump(worked);
        using var stop = new CancellationTokenSource();
        var running = pump.RunAsync(stop.Token);

        await Assert.ThrowsAsync<InvalidOperationException>(() => pump.RunAsync(stop.Token));
        await pump.EnqueueAsync([Item("after")]);
        await Eventually.TrueAsync(() => worked.ContainsKey("after"), "the item after to be worked");
        await stop.CancelAsync();
        await running;
    }

    /// <summary>A pump whose handler counts how often each key is worked.</summary>
    private WorkQueueWorker CountingPump(ConcurrentDictionary<string, int> worked) => Pump("a", item =>
    {
        worked.AddOrUpdate(item.Key, 1, (_, n) => n + 1);
        return Done(item);
    });

    private WorkQueueWorker Pump(string worker, Func<ClaimedWorkItem, Task<WorkCompletion>> handler, int concurrency = 4) =>
        new(new WorkQueue(_store, Queue), new DelegateWorkHandler((item, _) => handler(item)),
            new WorkQueueWorkerOptions { Concurrency = concurrency, PollInterval = TimeSpan.FromMilliseconds(50) });

    private static NewWorkItem Item(string key, string? orderingKey = null) => new(key, "{}", DateTimeOffset.UtcNow.AddSeconds(-1), 3, OrderingKey: orderingKey);

    private static Task<WorkCompletion> Done(ClaimedWorkItem item)
    {
        var now = DateTimeOffset.UtcNow;
        return Task.FromResult(WorkCompletion.Succeeded(item.Lease, [new WorkAttemptRecord(item.Attempts + 1, now, now, true, "ok")]));
    }

    /// <summary>A store whose completions fail as a locked database's do while <see cref="Down"/>.</summary>
    private sealed class FailingCompletions(IWorkStore inner) : ForwardingWorkStore(inner)
    {
        private int _failures;
        private volatile bool _down;

        public bool Down
        {
            get => _down;
            set => _down = value;
        }

        public int Failures => Volatile.Read(ref _failures);

        public override Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<WorkCompletion> completions, CancellationToken cancellationToken = default)
        {
            if (Down)
            {
                Interlocked.Increment(ref _failures);
                throw new SqliteException("database is locked", 6);
            }

            return Inner.CompleteAsync(completions, cancellationToken);
        }
    }

    /// <summary>The real store, counting the items claims take.</summary>
    private sealed class CountingStore(IWorkStore inner) : ForwardingWorkStore(inner)
    {
        private int _claimed;

        public int ClaimedItems => Volatile.Read(ref _claimed);

        public override async Task<IReadOnlyList<ClaimedWorkItem>> ClaimAsync(string queue, int maxItems, CancellationToken cancellationToken = default)
        {
            var claimed = await Inner.ClaimAsync(queue, maxItems, cancellationToken);
            Interlocked.Add(ref _claimed, claimed.Count);
            return claimed;
        }
    }
}
