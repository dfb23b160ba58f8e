// Load harness for the receiver (issue 4), driven by wrk (see docs/benchmarks.md, "Receiver (issue 4)").
//   sign  --count N --out DIR          N pre-signed message.received webhooks (unique ids) for wrk's Lua script
//   store-only --count N --data DIR    the inbox alone through the work pump, no HTTP (see StoreOnlyAsync)
//         [--body-bytes 800] [--record-bytes 400] [--writers 64] [--without-pump] (store's enqueue alone: no lease, no handler)
//   fsync --data DIR                   how long the disk under DIR takes to make an appended write durable (see Fsync)
//   serve --mode store|verify --port P --key-file DIR/public.key [--data DIR]
//         store:  the library's endpoint (verify, parse, durable SQLite inbox, 200) with a no-op handler running
//                 (--no-handler: no handler registered; --no-runner: no handler runner at all, the ingest path alone)
//         verify: a bare endpoint that only reads the body and verifies the signature
//         append: verify, then the least a durable store does (see AppendCeiling): [--sync FULL|NORMAL|OFF] [--unique-key] [--no-database]
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Events;
using Switchboard.Receiver;
using Switchboard.Signing;

var command = args.FirstOrDefault();
string Arg(string name, string? fallback = null) =>
    CommandLine.Option(args, name) ?? fallback ?? throw new ArgumentException($"{name} is required");

switch (command)
{
    case "sign":
        return Sign(int.Parse(Arg("--count"), CultureInfo.InvariantCulture), Arg("--out"));
    case "store-only":
        await StoreOnlyAsync(
            int.Parse(Arg("--count"), CultureInfo.InvariantCulture),
            Arg("--data", "receiver-load-data"),
            int.Parse(Arg("--body-bytes", "800"), CultureInfo.InvariantCulture),
            int.Parse(Arg("--record-bytes", "400"), CultureInfo.InvariantCulture),
            int.Parse(Arg("--writers", "64"), CultureInfo.InvariantCulture),
            withPump: !args.Contains("--without-pump"));
        return 0;
    case "fsync":
        Fsync(Arg("--data"), int.Parse(Arg("--count", "200"), CultureInfo.InvariantCulture));
        return 0;
    case "serve":
        await ServeAsync(Arg("--mode"), int.Parse(Arg("--port"), CultureInfo.InvariantCulture), File.ReadAllText(Arg("--key-file")).Trim(), Arg("--data", "receiver-load-data"), args);
        return 0;
    default:
        Console.Error.WriteLine("usage: sign --count N --out DIR | store-only --count N [--data DIR] [--body-bytes B] [--record-bytes B] [--writers N] [--without-pump] | fsync --data DIR [--count N] | serve --mode store|verify|append --port P --key-file FILE [--data DIR]");
        return 2;
}

// The inbox alone, no HTTP and no verification: concurrent writers (--writers) store receiver-sized items (by default an
// 800-byte body and a 400-byte record, the library's sizes for a message.received) through the work pump, which hands
// them to a no-op handler and records each completion, as the receiver does. --without-pump enqueues straight into the
// store instead (the insert and its duplicate check alone: no lease, no hand-over, no completion). Prints items/s and
// the process's CPU time per item.
static async Task StoreOnlyAsync(int count, string data, int bodyBytes, int recordBytes, int writers, bool withPump)
{
    Directory.CreateDirectory(data);
    await using var store = await Switchboard.DurableWork.WorkStore.OpenSqliteAsync(new() { DatabasePath = Path.Combine(data, "store-only.db") });
    var body = new string('b', bodyBytes);
    var context = new string('c', recordBytes);
    var handled = 0;
    var pump = new Switchboard.DurableWork.WorkQueueWorker(new Switchboard.DurableWork.WorkQueue(store, "inbox"), new Switchboard.DurableWork.DelegateWorkHandler((item, _) =>
    {
        Interlocked.Increment(ref handled);
        var now = DateTimeOffset.UtcNow;
        return Task.FromResult(Switchboard.DurableWork.WorkCompletion.Succeeded(item.Lease, [new(1, now, now, true, """{"handler":"noop","ok":true}""")]));
    }));
    using var stop = new CancellationTokenSource();
    // Without the pump, nothing claims: the enqueue is measured alone, not beside a pump polling an empty queue.
    var running = withPump ? pump.RunAsync(stop.Token) : Task.CompletedTask;
    await Task.Delay(100);
    var next = -1;
    var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
    var clock = System.Diagnostics.Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, writers).Select(async _ =>
    {
        while (Interlocked.Increment(ref next) < count)
        {
            Switchboard.DurableWork.NewWorkItem item = new(Guid.NewGuid().ToString(), body, DateTimeOffset.UtcNow, 5, "message.received", context);
            if (withPump)
            {
                await pump.EnqueueAsync([item]);
            }
            else
            {
                await store.EnqueueAsync("not-pumped", [item]);
                Interlocked.Increment(ref handled);
            }
        }
    }));
    var stored = clock.Elapsed;
    while (Volatile.Read(ref handled) < count)
    {
        await Task.Delay(10);
    }

    await stop.CancelAsync();
    await running;
    var used = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu;
    var io = File.ReadAllLines("/proc/self/io").Select(l => l.Split(": ")).ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
    Console.WriteLine($"read {io["rchar"] / count} B/item, written {io["wchar"] / count} B/item ({io["syscr"]} reads, {io["syscw"]} writes)");
    Console.WriteLine($"{count} stored in {stored.TotalSeconds:F1} s: {count / stored.TotalSeconds:F0}/s; {(withPump ? $"all handled and recorded after {clock.Elapsed.TotalSeconds:F1} s" : "without the pump")}; CPU {used.TotalMicroseconds / count:F0} us/item");
}

// A floor under every durable answer: each group commit of a synchronous=FULL store ends in one fsync of the log, and a
// request that arrives while one is in flight waits for it and then for its own. Appends 16 KiB (about one commit's
// worth of log) and fsyncs, COUNT times, in a scratch file under DIR; prints the percentiles.
static void Fsync(string data, int count)
{
    Directory.CreateDirectory(data);
    var path = Path.Combine(data, "fsync-probe");
    var block = new byte[16 * 1024];
    var took = new double[count];
    using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None))
    {
        for (var i = 0; i < count; i++)
        {
            file.Write(block);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            file.Flush(flushToDisk: true);
            took[i] = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
    }

    File.Delete(path);
    Array.Sort(took);
    double At(double q) => took[Math.Min(count - 1, (int)(q * count))];
    Console.WriteLine($"fsync of a 16 KiB append under {data}, {count} times: p50 {At(0.5):F2} ms, p90 {At(0.9):F2} ms, p99 {At(0.99):F2} ms, max {took[^1]:F2} ms");
}

static int Sign(int count, string folder)
{
    Directory.CreateDirectory(folder);
    using var key = Ed25519PrivateKey.Generate();
    File.WriteAllText(Path.Combine(folder, "public.key"), key.PublicKey.ToBase64());
    var signer = new Ed25519WebhookSigner(key);
    var now = DateTimeOffset.UtcNow;
    var lines = new string[count];
    Parallel.For(0, count, i =>
    {
        var data = SampleEvents.Create(EventTypes.MessageReceived, TimeProvider.System);
        var body = new WebhookEnvelope { Data = data, Meta = new WebhookMeta { Attempt = 1, DeliveredTo = "http://127.0.0.1/webhooks/telnyx" } }.ToUtf8Bytes();
        var (signature, timestamp) = signer.SignParts(body, now);
        lines[i] = $"{timestamp}\t{signature}\t{Encoding.UTF8.GetString(body)}";
    });
    File.WriteAllLines(Path.Combine(folder, "requests.tsv"), lines);
    Console.WriteLine($"{count} signed webhooks in {folder}/requests.tsv, ~{lines[0].Length} bytes each");
    return 0;
}

static async Task ServeAsync(string mode, int port, string publicKey, string data, string[] args)
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    // The harness counts throughput here, not with wrk (why: `measure` in bench-setup.sh). GET /stats says how many
    // webhook POSTs got a 2xx and how many connections are open, so it can start its window once every wrk connection is in.
    var answered = 0L;
    var open = 0L;
    builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.Use(next => async connection =>
    {
        Interlocked.Increment(ref open);
        try
        {
            await next(connection);
        }
        finally
        {
            Interlocked.Decrement(ref open);
        }
    })));
    // A tolerance of one hour (the largest allowed) so bodies signed before a run stay fresh through it; same code path.
    var tolerance = TimeSpan.FromHours(1);
    if (mode == "store")
    {
        var webhooks = builder.Services.AddTelnyxWebhooks(o =>
        {
            o.PublicKeys.Add(publicKey);
            o.DataDirectory = data;
            o.Tolerance = tolerance;
            if (CommandLine.Option(args, "--handler-concurrency") is { } concurrency)
            {
                o.HandlerConcurrency = int.Parse(concurrency, CultureInfo.InvariantCulture);
            }
        });
        if (args.Contains("--no-runner"))
        {
            var runner = builder.Services.Single(d => d.ImplementationType?.Name == "HandlerRunner");
            builder.Services.Remove(runner);
        }

        if (!args.Contains("--no-handler"))
        {
            webhooks.OnAny("noop", (_, _) => Task.CompletedTask);
        }
    }

    var app = builder.Build();
    app.Use(async (context, next) =>
    {
        await next(context);
        if (HttpMethods.IsPost(context.Request.Method) && context.Response.StatusCode is >= 200 and < 300)
        {
            Interlocked.Increment(ref answered);
        }
    });
    app.MapGet("/stats", () => $"{Interlocked.Read(ref answered)} {Interlocked.Read(ref open)}");
    if (mode == "store")
    {
        app.MapTelnyxWebhooks("/webhooks/telnyx");
    }
    else
    {
        var verifier = Ed25519WebhookVerifier.FromBase64([publicKey], TimeProvider.System, tolerance);
        var append = mode == "append" ? new AppendCeiling(data, args) : null;
        app.MapPost("/webhooks/telnyx", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            var headers = new WebhookHeaders()
                .Set(TelnyxHeaders.Timestamp, context.Request.Headers[TelnyxHeaders.Timestamp].ToString())
                .Set(TelnyxHeaders.Signature, context.Request.Headers[TelnyxHeaders.Signature].ToString());
            var bytes = body.GetBuffer().AsSpan(0, (int)body.Length);
            if (!verifier.Verify(bytes, headers).IsValid)
            {
                return Results.StatusCode(401);
            }

            if (append is null)
            {
                return Results.Ok();
            }

            // The library's parse, then the append; the answer is the library's shape.
            if (!WebhookEnvelope.TryParse(bytes, out var envelope, out _))
            {
                return Results.StatusCode(400);
            }

            var stored = await append.AppendAsync(envelope.Data.Id, Encoding.UTF8.GetString(bytes));
            return Results.Json(new Dictionary<string, string> { ["status"] = stored ? "accepted" : "duplicate", ["id"] = envelope.Data.Id });
        });
    }

    await app.RunAsync();
}

/// <summary>The harness's one way to read an option: the value after <c>name</c>, or null when it is not given.</summary>
internal static class CommandLine
{
    public static string? Option(string[] args, string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
}
