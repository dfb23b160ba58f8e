using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Npgsql;
using Switchboard.Delivery.Http;
using Switchboard.Delivery.Outbox;
using Switchboard.DeliveryLoad;
using Switchboard.DurableWork;
using Switchboard.Events;
using Switchboard.Signing;

// Load harness for the delivery outbox: publisher and dispatcher(s) with the real HttpWebhookSender, POSTing to
// a lean Kestrel sink in a separate process on 127.0.0.1.
//   sqlite [count] [runs]                   per run: the ceiling (signing and POSTing, no storage), then end to end
//                                           on SQLite in one process; prints each run and the medians
//   storage [count]                         SQLite with an instant in-process sender: the storage pipeline alone
//   postgres <connection> [count] [workers] end to end on PostgreSQL with worker processes
//   backlog [scheduled] [seconds]           SQLite with a backlog of scheduled retries: memory and lag at 1,000 due/s
//   sink                                    (internal) the loopback sink process
//   worker <connection> <sink url>          (internal) one dispatcher process for 'postgres'
//   fill <database> <count> <sink url>      (internal) writes the backlog for 'backlog' in a process of its own
// SWITCHBOARD_SYNC=normal runs SQLite with synchronous=NORMAL instead of the durable default FULL.
var mode = args.FirstOrDefault() ?? "sqlite";
return mode switch
{
    "sqlite" => await Load.SqliteRunsAsync(Arg(1, 100_000), Arg(2, 1)),
    "storage" => await Load.StorageAsync(Arg(1, 100_000)),
    "postgres" => await Load.PostgresAsync(args[1], Arg(2, 100_000), Arg(3, 2)),
    "backlog" => await Load.BacklogAsync(Arg(1, 1_000_000), Arg(2, 30)),
    "sink" => await Sink.RunAsync(),
    "worker" => await Load.WorkerAsync(args[1]),
    "fill" => await Load.FillBacklogAsync(args[1], Arg(2, 1_000_000), new Uri(args[3])),
    _ => Usage(),
};

int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;

static int Usage()
{
    Console.Error.WriteLine("usage: sqlite [count] [runs] | storage [count] | postgres <connection> [count] [workers] | backlog [scheduled] [seconds]");
    return 2;
}

internal static class Load
{
    private const int PublishBatch = 500;

    public static async Task<int> SqliteRunsAsync(int count, int runs)
    {
        await using var sink = await SinkProcess.StartAsync();
        var url = sink.Url("/ok");
        var ceilings = new List<double>();
        var endToEnd = new List<double>();
        for (var run = 1; run <= runs; run++)
        {
            ceilings.Add(await CeilingAsync(count, url));
            endToEnd.Add(await SqliteAsync(count, url, http: true));
        }

        Console.WriteLine($"sink received {await sink.CountAsync():N0} requests");
        if (runs > 1)
        {
            Console.WriteLine($"medians of {runs} runs: ceiling {Median(ceilings):N0}/s, sqlite end to end {Median(endToEnd):N0}/s ({Sync()})");
        }

        return 0;
    }

    public static async Task<int> StorageAsync(int count)
    {
        await SqliteAsync(count, new Uri("http://127.0.0.1:9/ok"), http: false);
        return 0;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>SWITCHBOARD_PUBLISHERS: how many publishers call PublishAsync at once (default 1).</summary>
    private static int Publishers() => int.TryParse(Environment.GetEnvironmentVariable("SWITCHBOARD_PUBLISHERS"), out var n) && n > 0 ? n : 1;

    private static bool SynchronousFull() => Environment.GetEnvironmentVariable("SWITCHBOARD_SYNC") != "normal";

    private static string Sync() => SynchronousFull() ? "synchronous=FULL" : "synchronous=NORMAL";

    private static HttpWebhookSender Sender() => new(new HttpWebhookSenderOptions { AllowPrivateNetworks = true });

    /// <summary>The same attempts (envelope, signature, POST, attempt log entry) with no storage at all.</summary>
    private static async Task<double> CeilingAsync(int count, Uri url)
    {
        using var key = Ed25519PrivateKey.Generate();
        using var sender = Sender();
        var options = new DeliveryOptions();
        using var slots = new TargetSlots(options, TimeProvider.System);
        var runner = new DeliveryAttemptRunner(sender, new WebhookSigningKeys(key), options, TimeProvider.System, slots);
        var now = DateTimeOffset.UtcNow;
        var items = Webhooks(count, url).Select((w, i) => new ClaimedWorkItem(new WorkLease(i, "ceiling"), w.EventId, w.EventType, w.DataJson,
            WebhookOutbox.EncodeTargets(w.Targets), 0, 5, now)).ToList();
        var next = -1;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, options.MaxConcurrency).Select(async _ =>
        {
            await Task.Yield();
            int i;
            while ((i = Interlocked.Increment(ref next)) < items.Count)
            {
                var completion = await runner.RunAsync(items[i], CancellationToken.None);
                while (completion.Outcome == WorkOutcome.Release)
                {
                    // The sink stalled (a loaded machine): the dispatcher would put the delivery off; here it is tried again.
                    completion = await runner.RunAsync(items[i], CancellationToken.None);
                }

                if (completion.Outcome != WorkOutcome.Succeeded)
                {
                    throw new InvalidOperationException($"the sink did not answer 2xx: {completion.AttemptLog[0].Detail}");
                }
            }
        }));
        var elapsed = clock.Elapsed;
        return Report("ceiling (same attempts, no storage)", count, elapsed, PerDelivery(allocated, count));
    }

    private static async Task<double> SqliteAsync(int count, Uri url, bool http)
    {
        var folder = Directory.CreateTempSubdirectory("switchboard-load-").FullName;
        try
        {
            await using var store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = Path.Combine(folder, "outbox.db"), SynchronousFull = SynchronousFull() });
            var outbox = new WebhookOutbox(store);
            using var key = Ed25519PrivateKey.Generate();
            using var sender = Sender();
            var instant = new InstantSender();
            using var dispatcher = new DeliveryDispatcher(outbox, http ? sender : instant, new WebhookSigningKeys(key));
            var webhooks = Webhooks(count, url);
            using var stopDispatcher = new CancellationTokenSource();
            var dispatching = dispatcher.NewWorker().RunAsync(stopDispatcher.Token);
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            // Publishers calling at once (as API requests would) share the writer's transactions.
            var chunks = webhooks.Chunk(PublishBatch).ToList();
            var nextChunk = -1;
            await Task.WhenAll(Enumerable.Range(0, Publishers()).Select(async _ =>
            {
                int i;
                while ((i = Interlocked.Increment(ref nextChunk)) < chunks.Count)
                {
                    await outbox.PublishAsync(chunks[i]);
                }
            }));

            var published = clock.Elapsed;
            // Done when every delivery is recorded as delivered.
            while (await outbox.CountPendingAsync() > 0)
            {
                await Task.Delay(5);
            }

            var elapsed = clock.Elapsed;
            var perDelivery = PerDelivery(allocated, count);
            await stopDispatcher.CancelAsync();
            await dispatching;
            var delivered = (await outbox.QueryAsync(new DeliveryQuery { Status = DeliveryStatus.Delivered, PageSize = 1 })).TotalResults;
            return Report(http ? "sqlite end to end" : "sqlite, instant sender (no HTTP)", count, elapsed,
                $"{Sync()}; {Publishers()} publisher(s); published in {published.TotalSeconds:F1} s; {delivered:N0} recorded delivered; {perDelivery}");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    public static async Task<int> PostgresAsync(string connection, int count, int workers)
    {
        await using var sink = await SinkProcess.StartAsync();
        await using var dataSource = NpgsqlDataSource.Create(connection);
        await using (var reset = dataSource.CreateCommand("DROP TABLE IF EXISTS work_items, work_attempts, durable_work_schema, work_workers, work_component_schema"))
        {
            await reset.ExecuteNonQueryAsync();
        }

        await using var store = await PostgresWorkStore.OpenAsync(dataSource);
        var outbox = new WebhookOutbox(store);
        var processes = Enumerable.Range(0, workers).Select(_ => Process.Start(Environment.ProcessPath!, [.. SelfArgs(), "worker", connection])).ToList();
        try
        {
            var webhooks = Webhooks(count, sink.Url("/ok"));
            var clock = Stopwatch.StartNew();
            foreach (var chunk in webhooks.Chunk(PublishBatch))
            {
                await outbox.PublishAsync(chunk);
            }

            var published = clock.Elapsed;
            while (await outbox.CountPendingAsync() > 0)
            {
                await Task.Delay(20);
            }

            Report($"postgres, {workers} worker processes", count, clock.Elapsed, $"published in {published.TotalSeconds:F1} s; sink received {await sink.CountAsync():N0}");
            return 0;
        }
        finally
        {
            foreach (var process in processes)
            {
                process.Kill();
                await process.WaitForExitAsync();
                process.Dispose();
            }
        }
    }

    /// <summary>The entry assembly when run as <c>dotnet Switchboard.DeliveryLoad.dll</c>, nothing when run as an apphost.</summary>
    public static string[] SelfArgs() =>
        Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? [typeof(Load).Assembly.Location] : [];

    public static async Task<int> WorkerAsync(string connection)
    {
        await using var dataSource = NpgsqlDataSource.Create(connection);
        await using var store = await PostgresWorkStore.OpenAsync(dataSource);
        using var key = Ed25519PrivateKey.Generate();
        using var sender = Sender();
        using var dispatcher = new DeliveryDispatcher(new WebhookOutbox(store, new DeliveryOptions { PollInterval = TimeSpan.FromMilliseconds(50) }), sender, new WebhookSigningKeys(key));
        await dispatcher.NewWorker().RunAsync(CancellationToken.None);
        return 0;
    }

    /// <summary>The backlog: deliveries whose next retry is an hour away, written straight to the store.</summary>
    public static async Task<int> FillBacklogAsync(string path, int scheduled, Uri url)
    {
        await using var filler = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = path, SynchronousFull = false });
        var later = DateTimeOffset.UtcNow.AddHours(1);
        var data = Webhooks(1, url)[0];
        var context = WebhookOutbox.EncodeTargets(data.Targets);
        for (var done = 0; done < scheduled; done += 1_000)
        {
            await filler.EnqueueAsync("webhook-deliveries", [.. Enumerable.Range(done, Math.Min(1_000, scheduled - done))
                .Select(i => new NewWorkItem($"backlog-{i}", data.DataJson, later, 5, EventTypes.MessageSent, context))]);
        }

        return 0;
    }

    public static async Task<int> BacklogAsync(int scheduled, int seconds)
    {
        var folder = Directory.CreateTempSubdirectory("switchboard-backlog-").FullName;
        try
        {
            await using var sink = await SinkProcess.StartAsync();
            var path = Path.Combine(folder, "outbox.db");
            // The backlog is written by a process of its own, so that this one starts as a restarted dispatcher does: with
            // a store that opens on a million scheduled items, and nothing else of the filling left in its memory.
            using (var fill = Process.Start(Environment.ProcessPath!, [.. SelfArgs(), "fill", path, scheduled.ToString(CultureInfo.InvariantCulture), sink.Url("/ok").ToString()]))
            {
                await fill.WaitForExitAsync();
                if (fill.ExitCode != 0)
                {
                    throw new InvalidOperationException($"filling the backlog failed with exit code {fill.ExitCode}");
                }
            }

            long unmerged;
            await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False"))
            {
                await connection.OpenAsync();
                await using var count = connection.CreateCommand();
                // The items whose keys the store keeps in memory when it opens (SqliteKeys): those not yet merged into work_keys.
                count.CommandText = "SELECT count(*) FROM work_items WHERE id > (SELECT value FROM work_meta WHERE name = 'keys_merged_through')";
                unmerged = (long)(await count.ExecuteScalarAsync())!;
            }

            Console.WriteLine($"{unmerged:N0} of the {scheduled:N0} keys are not yet merged into work_keys");
            var lags = new List<double>();
            using var listener = new MeterListener();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "switchboard.delivery.lag")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<double>((_, value, _, _) => { lock (lags) { lags.Add(value); } });
            listener.Start();
            var beforeOpen = GC.GetTotalMemory(forceFullCollection: true);
            Console.WriteLine($"live managed memory before the measured store opens: {beforeOpen / 1024 / 1024} MB");
            await using var store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = path });
            // What the opened store itself keeps (its in-memory key overlay of SqliteKeys among it), before any work runs.
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            Console.WriteLine($"the opened store holds {(GC.GetTotalMemory(forceFullCollection: true) - beforeOpen) / 1024 / 1024} MB of managed memory; {MemoryBreakdown()}");
            var outbox = new WebhookOutbox(store);
            using var key = Ed25519PrivateKey.Generate();
            using var sender = Sender();
            using var dispatcher = new DeliveryDispatcher(outbox, sender, new WebhookSigningKeys(key));
            using var stopDispatcher = new CancellationTokenSource();
            var dispatching = dispatcher.NewWorker().RunAsync(stopDispatcher.Token);
            long peak = 0;
            var atPeak = "";
            var url = sink.Url("/ok");
            for (var second = 0; second < seconds; second++)
            {
                var tick = Stopwatch.StartNew();
                for (var slice = 0; slice < 10; slice++)
                {
                    await outbox.PublishAsync(Webhooks(100, url));
                    var wait = TimeSpan.FromMilliseconds(100 * (slice + 1)) - tick.Elapsed;
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait);
                    }
                }

                using var self = Process.GetCurrentProcess();
                if (self.WorkingSet64 > peak)
                {
                    peak = self.WorkingSet64;
                    atPeak = MemoryBreakdown();
                }
            }

            await stopDispatcher.CancelAsync();
            await dispatching;
            Console.WriteLine($"live managed memory at the end: {GC.GetTotalMemory(forceFullCollection: true) / 1024 / 1024} MB");
            double[] sorted;
            lock (lags)
            {
                sorted = [.. lags.Order()];
            }

            var p99 = sorted.Length == 0 ? double.NaN : sorted[(int)Math.Ceiling(sorted.Length * 0.99) - 1];
            Console.WriteLine($"backlog: {scheduled:N0} scheduled retries, 1,000 due/s for {seconds} s: " +
                $"peak RSS {peak / 1024 / 1024} MB (dispatcher and publisher; the sink is another process), lag p99 {p99 * 1000:F0} ms over {sorted.Length:N0} attempts; sink received {await sink.CountAsync():N0}");
            Console.WriteLine($"at the peak: {atPeak}");
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Where resident memory is: the managed heap (its live size after the last GC, and what the GC has committed), and
    /// the kernel's split of RSS into anonymous memory (the GC heap, native allocations such as SQLite's page caches)
    /// and file-backed pages (the runtime's and the app's mapped binaries, memory-mapped database files).
    /// </summary>
    private static string MemoryBreakdown()
    {
        var gc = GC.GetGCMemoryInfo();
        var status = File.Exists("/proc/self/status")
            ? string.Join(", ", File.ReadLines("/proc/self/status")
                .Where(l => l.StartsWith("RssAnon:", StringComparison.Ordinal) || l.StartsWith("RssFile:", StringComparison.Ordinal))
                .Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"\s+", " ")))
            : "";
        return $"managed heap {gc.HeapSizeBytes / 1024 / 1024} MB after the last GC, {gc.TotalCommittedBytes / 1024 / 1024} MB committed, " +
            $"{GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} gen0/1/2 GCs, server GC {System.Runtime.GCSettings.IsServerGC}; {status}";
    }

    /// <summary>Answers 200 at once: what the storage pipeline does without HTTP.</summary>
    private sealed class InstantSender : IWebhookSender
    {
        public Task<SendOutcome> SendAsync(SendRequest request, CancellationToken cancellationToken)
        {
            var now = DateTimeOffset.UtcNow;
            return Task.FromResult(new SendOutcome { Url = request.Url, StartedAt = now, FinishedAt = now, RequestHeaders = request.Headers, StatusCode = 200 });
        }
    }

    private static List<OutboundWebhook> Webhooks(int count, Uri url)
    {
        var targets = new[] { new WebhookTarget(url) };
        return [.. Enumerable.Range(0, count).Select(_ => OutboundWebhook.From(SampleEvents.Create(EventTypes.MessageSent, TimeProvider.System), targets))];
    }

    /// <summary>Managed allocations of the whole process (all threads) since <paramref name="before"/>, per delivery.</summary>
    private static string PerDelivery(long before, int count) =>
        $"{(GC.GetTotalAllocatedBytes(precise: true) - before) / 1024.0 / count:F1} kB allocated per delivery";

    private static double Report(string what, int count, TimeSpan elapsed, string detail)
    {
        var rate = count / elapsed.TotalSeconds;
        Console.WriteLine($"{what}: {count:N0} deliveries in {elapsed.TotalSeconds:F2} s = {rate:N0}/s{(detail.Length > 0 ? $" ({detail})" : "")}");
        return rate;
    }
}
