using System.Diagnostics;
using System.Diagnostics.Metrics;
using Npgsql;
using Switchboard.Delivery.Http;
using Switchboard.Delivery.Outbox;
using Switchboard.Delivery.Tests.Outbox;
using Switchboard.DurableWork;
using Switchboard.Events;
using Switchboard.Signing;

// Load harness for the delivery outbox: publisher, dispatcher(s) and a Kestrel sink on 127.0.0.1.
//   sqlite [count]                          end to end on SQLite, in one process
//   storage [count]                         SQLite with an instant in-process sender: the storage pipeline alone
//   ceiling [count]                         the same signing and POSTing with no storage at all
//   postgres <connection> [count] [workers] end to end on PostgreSQL with worker processes
//   backlog [scheduled] [seconds]           SQLite with a backlog of scheduled retries: memory and lag at 1,000 due/s
//   worker <connection>                     (internal) one dispatcher process for 'postgres'
var mode = args.FirstOrDefault() ?? "sqlite";
return mode switch
{
    "sqlite" => await Load.SqliteAsync(Arg(1, 100_000), http: true),
    "storage" => await Load.SqliteAsync(Arg(1, 100_000), http: false),
    "ceiling" => await Load.CeilingAsync(Arg(1, 100_000)),
    "postgres" => await Load.PostgresAsync(args[1], Arg(2, 100_000), Arg(3, 2)),
    "backlog" => await Load.BacklogAsync(Arg(1, 1_000_000), Arg(2, 30)),
    "worker" => await Load.WorkerAsync(args[1]),
    "enqueue" => await Load.EnqueueAsync(Arg(1, 50_000), args.Length > 2 ? args[2] : "real"),
    _ => Usage(),
};

int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], System.Globalization.CultureInfo.InvariantCulture) : fallback;

static int Usage()
{
    Console.Error.WriteLine("usage: sqlite [count] | ceiling [count] | postgres <connection> [count] [workers] | backlog [scheduled] [seconds]");
    return 2;
}

internal static class Load
{
    private const int PublishBatch = 500;

    public static async Task<int> SqliteAsync(int count, bool http)
    {
        var folder = Directory.CreateTempSubdirectory("switchboard-load-").FullName;
        try
        {
            await using var sink = await LoopbackSink.StartAsync();
            sink.KeepRequests = false;
            // SWITCHBOARD_SYNC=normal: commits survive a crash of the process but not a power cut (fewer disk syncs).
            var synchronousFull = Environment.GetEnvironmentVariable("SWITCHBOARD_SYNC") != "normal";
            await using var store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = Path.Combine(folder, "outbox.db"), SynchronousFull = synchronousFull });
            var outbox = new WebhookOutbox(store, new DeliveryOptions { MaxConcurrency = Concurrency(), ClaimBatchSize = 512 });
            using var key = Ed25519PrivateKey.Generate();
            using var sender = new LoopbackHttpSender();
            var instant = new InstantSender();
            using var dispatcher = new DeliveryDispatcher(outbox, http ? sender : instant, new WebhookSigningKeys(key));
            var webhooks = Webhooks(count, sink.Url("/ok"));
            if (Environment.GetEnvironmentVariable("SWITCHBOARD_PUBLISH_FIRST") == "1")
            {
                var publishClock = Stopwatch.StartNew();
                foreach (var chunk in webhooks.Chunk(PublishBatch))
                {
                    await outbox.PublishAsync(chunk);
                }

                Console.WriteLine($"publish alone: {count / publishClock.Elapsed.TotalSeconds:N0}/s");
                webhooks = [];
            }

            await dispatcher.StartAsync(CancellationToken.None);
            var clock = Stopwatch.StartNew();
            foreach (var chunk in webhooks.Chunk(PublishBatch))
            {
                await outbox.PublishAsync(chunk);
            }

            var published = clock.Elapsed;
            while (sink.Count + instant.Count < count)
            {
                await Task.Delay(20);
            }

            // Sent; now wait for the last results to be recorded.
            while (await outbox.CountPendingAsync() > 0)
            {
                await Task.Delay(5);
            }

            var elapsed = clock.Elapsed;
            await dispatcher.StopAsync(CancellationToken.None);
            Report(http ? "sqlite" : "sqlite, no HTTP", count, elapsed, $"published in {published.TotalSeconds:F1} s; sink saw {sink.Count}");
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    public static async Task<int> CeilingAsync(int count)
    {
        await using var sink = await LoopbackSink.StartAsync();
        sink.KeepRequests = false;
        using var key = Ed25519PrivateKey.Generate();
        var signer = new Ed25519WebhookSigner(key);
        using var sender = new LoopbackHttpSender();
        var webhooks = Webhooks(count, sink.Url("/ok"));
        var url = sink.Url("/ok");
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(webhooks, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (webhook, ct) =>
        {
            var body = EnvelopeWriter.Write(System.Text.Encoding.UTF8.GetBytes(webhook.DataJson), 1, url.OriginalString);
            List<KeyValuePair<string, string>> headers = [new("Content-Type", "application/json"), new("User-Agent", ProductInfo.UserAgent), .. signer.Sign(body, DateTimeOffset.UtcNow, webhook.EventId)];
            await sender.SendAsync(new SendRequest(url, body, headers), ct);
        });
        Report("ceiling (no storage)", count, clock.Elapsed, $"sink saw {sink.Count}");
        return 0;
    }

    public static async Task<int> PostgresAsync(string connection, int count, int workers)
    {
        await using var sink = await LoopbackSink.StartAsync();
        sink.KeepRequests = false;
        await using var dataSource = NpgsqlDataSource.Create(connection);
        await using (var reset = dataSource.CreateCommand("DROP TABLE IF EXISTS work_items, work_attempts, durable_work_schema"))
        {
            await reset.ExecuteNonQueryAsync();
        }

        await using var store = await WorkStore.OpenPostgresAsync(dataSource);
        var outbox = new WebhookOutbox(store);
        var processes = Enumerable.Range(0, workers).Select(_ => Process.Start(Environment.ProcessPath!, [.. WorkerArgs(), "worker", connection])).ToList();
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

            Report($"postgres, {workers} worker processes", count, clock.Elapsed, $"published in {published.TotalSeconds:F1} s; sink saw {sink.Count}");
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
    private static string[] WorkerArgs() =>
        Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? [typeof(Load).Assembly.Location] : [];

    public static async Task<int> WorkerAsync(string connection)
    {
        await using var dataSource = NpgsqlDataSource.Create(connection);
        await using var store = await WorkStore.OpenPostgresAsync(dataSource);
        using var key = Ed25519PrivateKey.Generate();
        using var sender = new LoopbackHttpSender();
        using var dispatcher = new DeliveryDispatcher(new WebhookOutbox(store, new DeliveryOptions { PollInterval = TimeSpan.FromMilliseconds(50) }), sender, new WebhookSigningKeys(key));
        await dispatcher.StartAsync(CancellationToken.None);
        await Task.Delay(Timeout.Infinite);
        return 0;
    }

    public static async Task<int> BacklogAsync(int scheduled, int seconds)
    {
        var folder = Directory.CreateTempSubdirectory("switchboard-backlog-").FullName;
        try
        {
            await using var sink = await LoopbackSink.StartAsync();
            sink.KeepRequests = false;
            var path = Path.Combine(folder, "outbox.db");
            await using (var filler = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = path, SynchronousFull = false }))
            {
                // The backlog: deliveries whose next retry is an hour away, written straight to the store.
                var later = DateTimeOffset.UtcNow.AddHours(1);
                var data = Webhooks(1, sink.Url("/ok"))[0];
                var context = $"[{{\"url\":\"{sink.Url("/ok")}\",\"scheme\":\"Ed25519\"}}]";
                for (var done = 0; done < scheduled; done += 10_000)
                {
                    await filler.EnqueueAsync("webhook-deliveries", [.. Enumerable.Range(done, Math.Min(10_000, scheduled - done))
                        .Select(i => new NewWorkItem($"backlog-{i}", data.DataJson, later, 5, EventTypes.MessageSent, context))]);
                }
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            GC.Collect();
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
            await using var store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = path });
            var outbox = new WebhookOutbox(store);
            using var key = Ed25519PrivateKey.Generate();
            using var sender = new LoopbackHttpSender();
            using var dispatcher = new DeliveryDispatcher(outbox, sender, new WebhookSigningKeys(key));
            await dispatcher.StartAsync(CancellationToken.None);
            long peak = 0;
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
                peak = Math.Max(peak, self.WorkingSet64);
            }

            await dispatcher.StopAsync(CancellationToken.None);
            double[] sorted;
            lock (lags)
            {
                sorted = [.. lags.Order()];
            }

            var p99 = sorted.Length == 0 ? double.NaN : sorted[(int)Math.Ceiling(sorted.Length * 0.99) - 1];
            Console.WriteLine($"backlog: {scheduled:N0} scheduled retries, 1,000 due/s for {seconds} s: " +
                $"peak RSS {peak / 1024 / 1024} MB (whole process: dispatcher, sink, publisher), lag p99 {p99 * 1000:F0} ms over {sorted.Length:N0} attempts; sink saw {sink.Count}");
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Answers 200 at once: what the storage pipeline does without HTTP.</summary>
    private sealed class InstantSender : IWebhookSender
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public Task<SendOutcome> SendAsync(SendRequest request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            var now = DateTimeOffset.UtcNow;
            return Task.FromResult(new SendOutcome { Url = request.Url, StartedAt = now, FinishedAt = now, RequestHeaders = request.Headers, StatusCode = 200, ResponseBody = "ok" });
        }
    }

    public static async Task<int> EnqueueAsync(int count, string payloadKind)
    {
        var folder = Directory.CreateTempSubdirectory("switchboard-enqueue-").FullName;
        await using var store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = Path.Combine(folder, "q.db"), SynchronousFull = false });
        var payload = payloadKind == "real" ? Webhooks(1, new Uri("http://127.0.0.1/"))[0].DataJson : "{}";
        var items = Enumerable.Range(0, count).Select(i => new NewWorkItem(Guid.NewGuid().ToString(), payload, DateTimeOffset.UtcNow, 5, "message.sent", "[]")).ToList();
        var clock = Stopwatch.StartNew();
        foreach (var chunk in items.Chunk(PublishBatch))
        {
            await store.EnqueueAsync("q", chunk);
        }

        Console.WriteLine($"enqueue ({payloadKind} payload, {payload.Length} chars): {count / clock.Elapsed.TotalSeconds:N0}/s");
        return 0;
    }

    private static int Concurrency() => int.TryParse(Environment.GetEnvironmentVariable("SWITCHBOARD_CONCURRENCY"), out var c) ? c : 64;

    private static List<OutboundWebhook> Webhooks(int count, Uri url)
    {
        var targets = new[] { new WebhookTarget(url) };
        return [.. Enumerable.Range(0, count).Select(_ => OutboundWebhook.From(SampleEvents.Create(EventTypes.MessageSent, TimeProvider.System), targets))];
    }

    private static void Report(string what, int count, TimeSpan elapsed, string detail) =>
        Console.WriteLine($"{what}: {count:N0} deliveries in {elapsed.TotalSeconds:F2} s = {count / elapsed.TotalSeconds:N0}/s ({detail})");
}
