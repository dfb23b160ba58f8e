using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Switchboard.Testing;

namespace Switchboard.DurableWork.Tests.Pump;

/// <summary>The public queue surface: <see cref="WorkQueue"/> (enqueue, alone or in a transaction), <see cref="WorkQueueWorker"/> and AddWorkQueue.</summary>
public sealed class WorkQueueTests : IAsyncLifetime
{
    private const string Queue = "jobs";
    private readonly string _folder = Directory.CreateTempSubdirectory("switchboard-queue-").FullName;
    private IWorkStore _store = null!;

    public async Task InitializeAsync() =>
        _store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = Path.Combine(_folder, "work.db") });

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task AddWorkQueue_runs_the_handler_on_what_the_queue_client_enqueues_while_the_host_runs()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(_store);
        builder.Services.AddSingleton<Handled>();
        builder.Services.AddWorkQueue<RecordingHandler>(Queue, o => o.PollInterval = TimeSpan.FromMilliseconds(50));
        using var host = builder.Build();
        await host.StartAsync();

        var queue = host.Services.GetRequiredKeyedService<WorkQueue>(Queue);
        var added = await queue.EnqueueAsync([Item("a"), Item("b")]);
        var handled = host.Services.GetRequiredService<Handled>();
        await Eventually.TrueAsync(() => handled.Keys.Count == 2, "both items to be handled");
        await host.StopAsync();

        Assert.Equal([true, true], added);
        Assert.Equal(["a", "b"], handled.Keys.Order());
        Assert.Equal(WorkStatus.Succeeded, (await _store.GetAsync(Queue, "a"))!.Status);
        Assert.Equal(WorkStatus.Succeeded, (await _store.GetAsync(Queue, "b"))!.Status);
    }

    [Fact]
    public async Task AddWorkQueue_takes_its_options_from_the_container_when_the_host_starts_and_reports_the_worker_running_then_stopped()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(_store);
        builder.Services.AddSingleton<Handled>();
        builder.Services.AddSingleton(new WorkQueueWorkerOptions { PollInterval = TimeSpan.FromMilliseconds(50) });
        builder.Services.AddWorkQueue<RecordingHandler>(Queue, provider => provider.GetRequiredService<WorkQueueWorkerOptions>());
        using var host = builder.Build();
        var status = host.Services.GetRequiredKeyedService<WorkQueueWorkerStatus>(Queue);
        Assert.False(status.IsRunning);
        await host.StartAsync();

        await host.Services.GetRequiredKeyedService<WorkQueue>(Queue).EnqueueAsync([Item("a")]);
        await Eventually.TrueAsync(() => host.Services.GetRequiredService<Handled>().Keys.Count == 1, "the item to be handled");
        Assert.True(status.IsRunning);
        Assert.False(status.HasStopped);
        await host.StopAsync();

        Assert.True(status.HasStopped);
        Assert.Null(status.Failure);
    }

    [Fact]
    public async Task AddWorkQueue_whose_options_are_null_runs_no_worker_and_the_client_still_enqueues()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(_store);
        builder.Services.AddSingleton<Handled>();
        builder.Services.AddWorkQueue<RecordingHandler>(Queue, _ => null);
        using var host = builder.Build();
        await host.StartAsync();

        Assert.Equal([true], await host.Services.GetRequiredKeyedService<WorkQueue>(Queue).EnqueueAsync([Item("a")]));
        var status = host.Services.GetRequiredKeyedService<WorkQueueWorkerStatus>(Queue);
        await host.StopAsync();

        Assert.False(status.IsRunning);
        Assert.False(status.HasStopped);
        Assert.Empty(host.Services.GetRequiredService<Handled>().Keys);
        Assert.Equal(WorkStatus.Pending, (await _store.GetAsync(Queue, "a"))!.Status);
    }

    [Fact]
    public async Task Items_enqueued_in_a_batch_are_handed_over_once_it_commits()
    {
        var queue = new WorkQueue(_store, Queue);
        var handled = new ConcurrentBag<string>();
        var worker = new WorkQueueWorker(queue, new DelegateWorkHandler((item, _) =>
        {
            handled.Add(item.Key);
            return Done(item);
        }), Options());
        using var stop = new CancellationTokenSource();
        var running = worker.RunAsync(stop.Token);

        var batch = new WorkBatch();
        queue.Enqueue(batch, [Item("in-batch")]);
        Assert.Equal(WorkBatchOutcome.Committed, (await _store.CommitAsync(batch)).Outcome);
        await Eventually.TrueAsync(() => handled.Contains("in-batch"), "the batch's item to be handled");
        await stop.CancelAsync();
        await running;

        Assert.Equal(WorkStatus.Succeeded, (await _store.GetAsync(Queue, "in-batch"))!.Status);
    }

    [Fact]
    public void A_second_worker_for_one_queue_is_refused_at_registration()
    {
        var services = new ServiceCollection().AddWorkQueue<RecordingHandler>(Queue).AddWorkQueue<RecordingHandler>("other");

        var refused = Assert.Throws<InvalidOperationException>(() => services.AddWorkQueue<RecordingHandler>(Queue));
        Assert.Contains(Queue, refused.Message);
    }

    [Fact]
    public async Task A_refused_batch_hands_over_nothing_and_stores_nothing()
    {
        var queue = new WorkQueue(_store, Queue);
        var handled = new ConcurrentBag<string>();
        var worker = new WorkQueueWorker(queue, new DelegateWorkHandler((item, _) =>
        {
            handled.Add(item.Key);
            return Done(item);
        }), Options());
        using var stop = new CancellationTokenSource();
        var running = worker.RunAsync(stop.Token);

        // The batch's version check fails (its document changed since it was read): nothing of the batch is stored.
        Assert.Equal(WorkBatchOutcome.Committed, (await _store.CommitAsync(new WorkBatch().PutDocument(DocumentPut.Create("order", "o1", "{}")))).Outcome);
        var batch = new WorkBatch().PutDocument(DocumentPut.Create("order", "o1", "{\"again\":true}"));
        queue.Enqueue(batch, [Item("rolled-back")]);
        Assert.Equal(WorkBatchOutcome.Conflict, (await _store.CommitAsync(batch)).Outcome);
        // The worker runs and takes what commits: the item after is handled, the one refused never is.
        await queue.EnqueueAsync([Item("after")]);
        await Eventually.TrueAsync(() => handled.Contains("after"), "the item after to be handled");
        await stop.CancelAsync();
        await running;

        Assert.DoesNotContain("rolled-back", handled);
        Assert.Null(await _store.GetAsync(Queue, "rolled-back"));
    }

    [Fact]
    public async Task Stopping_gives_back_what_is_leased_in_memory_due_at_once_for_the_next_worker()
    {
        var queue = new WorkQueue(_store, Queue);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = new WorkQueueWorker(queue, new DelegateWorkHandler(async (item, stoppingToken) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, stoppingToken);
            return WorkCompletion.Succeeded(item.Lease, []);
        }), new WorkQueueWorkerOptions { Concurrency = 1, PollInterval = TimeSpan.FromMilliseconds(50) });
        using (var stop = new CancellationTokenSource())
        {
            var running = worker.RunAsync(stop.Token);
            // Handed over in memory, leased to this worker: one in hand, four waiting for the only slot.
            await queue.EnqueueAsync([.. Enumerable.Range(0, 5).Select(i => Item($"k{i}"))]);
            await started.Task;
            var leased = await _store.QueryAsync(Queue, new WorkQuery { Status = WorkStatus.Pending });
            Assert.All(leased.Items, i => Assert.NotNull(i.LeaseOwner));
            await stop.CancelAsync();
            await running;
        }

        var page = await _store.QueryAsync(Queue, new WorkQuery { PageSize = 10 });
        Assert.Equal(5, page.TotalCount);
        Assert.All(page.Items, i => Assert.Equal((WorkStatus.Pending, (string?)null, 0), (i.Status, i.LeaseOwner, i.Attempts)));

        var handled = new ConcurrentBag<string>();
        var next = new WorkQueueWorker(queue, new DelegateWorkHandler((item, _) =>
        {
            handled.Add(item.Key);
            return Done(item);
        }), Options());
        using var stopNext = new CancellationTokenSource();
        var runningNext = next.RunAsync(stopNext.Token);
        await Eventually.TrueAsync(() => handled.Count == 5, "the next worker to work all five");
        await stopNext.CancelAsync();
        await runningNext;
    }

    private static WorkQueueWorkerOptions Options() => new() { PollInterval = TimeSpan.FromMilliseconds(50) };

    private static NewWorkItem Item(string key) => new(key, "{}", DateTimeOffset.UtcNow.AddSeconds(-1), 3);

    private static Task<WorkCompletion> Done(ClaimedWorkItem item)
    {
        var now = DateTimeOffset.UtcNow;
        return Task.FromResult(WorkCompletion.Succeeded(item.Lease, [new WorkAttemptRecord(item.Attempts + 1, now, now, true, "ok")]));
    }

    /// <summary>The keys a <see cref="RecordingHandler"/> handled.</summary>
    private sealed class Handled
    {
        public ConcurrentBag<string> Keys { get; } = [];
    }

    private sealed class RecordingHandler(Handled handled) : IWorkHandler
    {
        public Task<WorkCompletion> HandleAsync(ClaimedWorkItem item, CancellationToken stoppingToken)
        {
            handled.Keys.Add(item.Key);
            return Done(item);
        }
    }
}
