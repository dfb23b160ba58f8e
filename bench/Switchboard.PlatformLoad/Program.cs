using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.DeliveryLoad;
using Switchboard.Platform;
using Switchboard.Platform.Hosting;
using Switchboard.Signing;

// Load harness for the messaging platform (switchboard serve's engine, in this process, SQLite, lifecycle delay 0):
//   latency [messages] [per-second]   POST /v2/messages to message.sent arriving at an in-process loopback receiver,
//                                     at a light, paced load; prints p50/p90/p99
//   isolation [hanging] [messages] [per-second]   the same, after <hanging> messages to a second profile whose webhook
//                                     URL and failover accept connections and never answer (a hanging target)
//   throughput [messages] [clients]   messages/s with all three webhooks of every message arriving at the lean sink
//                                     of Switchboard.DeliveryLoad (a child process), from <clients> concurrent API clients
//   retention [minutes] [per-second] [retention-seconds]
//                                     sends at a fixed rate with a short --retention; prints the database's size every 10 s
// compare.sh runs throughput beside `Switchboard.DeliveryLoad sqlite` (the delivery engine alone) for the ratio.
var mode = args.FirstOrDefault() ?? "throughput";
return mode switch
{
    "latency" => await PlatformLoad.LatencyAsync(Arg(1, 500), Arg(2, 20)),
    "isolation" => await PlatformLoad.LatencyAsync(Arg(2, 500), Arg(3, 20), hangingMessages: Arg(1, 150)),
    "throughput" => await PlatformLoad.ThroughputAsync(Arg(1, 20_000), Arg(2, 32)),
    "retention" => await PlatformLoad.RetentionAsync(Arg(1, 4), Arg(2, 100), Arg(3, 60)),
    _ => Usage(),
};

int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;

static int Usage()
{
    Console.Error.WriteLine("usage: latency [messages] [per-second] | isolation [hanging] [messages] [per-second] | throughput [messages] [clients] | retention [minutes] [per-second] [retention-seconds]");
    return 2;
}

internal static class PlatformLoad
{
    private const string ApiKey = "platform-load-key-0123456789";
    private const string From = "+18445550001";
    private const string HangingFrom = "+18445550002";

    public static async Task<int> LatencyAsync(int messages, int perSecond, int hangingMessages = 0)
    {
        var arrived = new ConcurrentDictionary<string, long>();
        var waiting = new ConcurrentDictionary<string, TaskCompletionSource<long>>();
        await using var receiver = await StartReceiverAsync(payloadId =>
        {
            var at = Stopwatch.GetTimestamp();
            if (waiting.TryRemove(payloadId, out var done))
            {
                done.TrySetResult(at);
            }
            else
            {
                arrived[payloadId] = at;
            }
        });
        await using var platform = await StartPlatformAsync(receiver.Url);
        using var client = Client(platform.Url);
        using var hanging = new HangingTargets();
        if (hangingMessages > 0)
        {
            await AddProfileAsync(client, "hanging", hanging.Url(0), HangingFrom, $$""","webhook_failover_url":"{{hanging.Url(1)}}" """);
        }

        var latencies = new List<double>();
        var pace = TimeSpan.FromSeconds(1.0 / perSecond);
        for (var i = 0; i < messages + 50; i++)
        {
            if (i == 50)
            {
                // After the warm-up, so that the messages measured are the ones sent while the target hangs.
                for (var h = 0; h < hangingMessages; h++)
                {
                    await SendAsync(client, h, HangingFrom);
                }
            }

            var next = Stopwatch.GetTimestamp() + (long)(pace.TotalSeconds * Stopwatch.Frequency);
            var started = Stopwatch.GetTimestamp();
            var id = await SendAsync(client, i);
            var done = waiting.GetOrAdd(id, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
            if (arrived.TryRemove(id, out var early))
            {
                done.TrySetResult(early);
            }

            var at = await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
            if (i >= 50)
            {
                latencies.Add(Stopwatch.GetElapsedTime(started, at).TotalMilliseconds);
            }

            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
        }

        latencies.Sort();
        var beside = hangingMessages > 0 ? $", after {hangingMessages} messages to a profile whose URL and failover hang ({hanging.Accepted} requests held)" : "";
        Console.WriteLine($"latency POST /v2/messages -> message.sent received, {messages} messages at {perSecond}/s (after 50 warm-up){beside}: " +
            $"p50 {Percentile(latencies, 50):F2} ms, p90 {Percentile(latencies, 90):F2} ms, p99 {Percentile(latencies, 99):F2} ms, max {latencies[^1]:F2} ms");
        return 0;
    }

    public static async Task<int> ThroughputAsync(int messages, int clients)
    {
        await using var sink = await SinkProcess.StartAsync();
        await using var platform = await StartPlatformAsync(sink.Url("/ok").ToString());
        using var client = Client(platform.Url);
        // Warm-up: the JIT, the connections, the first pages of the database.
        await RunAsync(client, 500, clients, offset: 1_000_000);
        await sink.WaitForAsync(1_500);

        var before = await sink.CountAsync();
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        await RunAsync(client, messages, clients, offset: 0);
        var accepted = clock.Elapsed;
        await sink.WaitForAsync(before + messages * 3L);
        var elapsed = clock.Elapsed;
        var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Console.WriteLine($"platform: {messages:N0} messages ({messages * 3:N0} webhooks) in {elapsed.TotalSeconds:F2} s = {messages / elapsed.TotalSeconds:N0} messages/s " +
            $"= {messages * 3 / elapsed.TotalSeconds:N0} webhooks/s (API accepted all in {accepted.TotalSeconds:F2} s; {used.TotalMilliseconds * 1000 / messages:F0} us of this process's CPU per message)");
        return 0;
    }

    /// <summary>Sends <paramref name="perSecond"/> messages each second for <paramref name="minutes"/>; the database's size every 10 s.</summary>
    public static async Task<int> RetentionAsync(int minutes, int perSecond, int retentionSeconds)
    {
        await using var sink = await SinkProcess.StartAsync();
        await using var platform = await StartPlatformAsync(sink.Url("/ok").ToString(), TimeSpan.FromSeconds(retentionSeconds));
        using var client = Client(platform.Url);
        var database = Path.Combine(platform.Folder, PlatformHost.DatabaseFile);
        long Size(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
        Console.WriteLine($"{perSecond} messages/s for {minutes} min, retention {retentionSeconds} s; sizes in MB (database + write-ahead log)");
        Console.WriteLine("   s   sent    database   wal");
        var clock = Stopwatch.StartNew();
        var sent = 0;
        for (var second = 1; second <= minutes * 60; second++)
        {
            await RunAsync(client, perSecond, perSecond, offset: sent);
            sent += perSecond;
            var wait = TimeSpan.FromSeconds(second) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            if (second % 10 == 0)
            {
                Console.WriteLine($"{second,4} {sent,7:N0} {Size(database) / 1e6,9:F1} {Size(database + "-wal") / 1e6,6:F1}");
            }
        }

        return 0;
    }

    private static async Task RunAsync(HttpClient client, int messages, int clients, int offset)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < messages)
            {
                await SendAsync(client, offset + i);
            }
        }));
    }

    private static async Task<string> SendAsync(HttpClient client, int i, string from = From)
    {
        var body = $$"""{"from":"{{from}}","to":"+1312{{(1_000_000 + i % 9_000_000).ToString("D7", CultureInfo.InvariantCulture)}}","text":"Hello, load {{i}}"}""";
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/v2/messages", content);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /v2/messages answered {(int)response.StatusCode}: {text}");
        }

        using var json = JsonDocument.Parse(text);
        return json.RootElement.GetProperty("data").GetProperty("id").GetString()!;
    }

    private static HttpClient Client(Uri platform)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = platform, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return client;
    }

    /// <summary>The platform in this process: SQLite in a fresh temp folder, no lifecycle delay, every webhook to <paramref name="webhookUrl"/>.</summary>
    private static async Task<RunningPlatform> StartPlatformAsync(string webhookUrl, TimeSpan? retention = null)
    {
        var folder = Directory.CreateTempSubdirectory("switchboard-platform-load-").FullName;
        var key = Ed25519PrivateKey.Generate();
        var app = await PlatformHost.StartAsync(
            new PlatformOptions { ApiKey = ApiKey, SigningKey = key, DataDirectory = folder, LifecycleDelay = TimeSpan.Zero, Retention = retention ?? new PlatformOptions().Retention },
            ["http://127.0.0.1:0"], logging => logging.AddFilter(_ => false));
        var platform = new RunningPlatform(app, folder, new Uri(app.Urls.First()));
        using var client = Client(platform.Url);
        await AddProfileAsync(client, "load", webhookUrl, From);
        return platform;
    }

    /// <summary>A messaging profile whose webhooks go to <paramref name="webhookUrl"/>, and the number <paramref name="number"/> on it.</summary>
    private static async Task AddProfileAsync(HttpClient client, string name, string webhookUrl, string number, string moreFields = "")
    {
        using var profile = await PostAsync(client, "/v2/messaging_profiles", $$"""{"name":"{{name}}","whitelisted_destinations":["US"],"webhook_url":"{{webhookUrl}}"{{moreFields}}}""");
        var profileId = profile.RootElement.GetProperty("data").GetProperty("id").GetString();
        using var order = await PostAsync(client, "/v2/number_orders", $$"""{"phone_numbers":[{"phone_number":"{{number}}"}],"messaging_profile_id":"{{profileId}}"}""");
    }

    private static async Task<JsonDocument> PostAsync(HttpClient client, string path, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(path, content);
        return JsonDocument.Parse(await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync());
    }

    /// <summary>An in-process receiver (latency mode): tells the payload id of every <c>message.sent</c> it gets.</summary>
    private static async Task<Receiver> StartReceiverAsync(Action<string> sent)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapPost("/hooks", async (HttpContext context) =>
        {
            using var json = await JsonDocument.ParseAsync(context.Request.Body);
            var data = json.RootElement.GetProperty("data");
            if (data.GetProperty("event_type").GetString() == "message.sent")
            {
                sent(data.GetProperty("payload").GetProperty("id").GetString()!);
            }

            return Results.Ok();
        });
        await app.StartAsync();
        return new Receiver(app, new Uri(new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()), "/hooks").ToString());
    }

    private static double Percentile(List<double> sorted, int p) => sorted[Math.Min(sorted.Count - 1, sorted.Count * p / 100)];

    /// <summary>Two listeners on 127.0.0.1 that accept connections and never read or answer: each a hanging target.</summary>
    private sealed class HangingTargets : IDisposable
    {
        private readonly System.Net.Sockets.TcpListener[] _listeners = [new(IPAddress.Loopback, 0), new(IPAddress.Loopback, 0)];
        private readonly ConcurrentBag<System.Net.Sockets.Socket> _held = [];

        public HangingTargets()
        {
            foreach (var listener in _listeners)
            {
                listener.Start(backlog: 1024);
                _ = HoldAsync(listener);
            }
        }

        public int Accepted => _held.Count;

        public string Url(int index) => $"http://127.0.0.1:{((IPEndPoint)_listeners[index].LocalEndpoint).Port}/hooks";

        private async Task HoldAsync(System.Net.Sockets.TcpListener listener)
        {
            try
            {
                while (true)
                {
                    _held.Add(await listener.AcceptSocketAsync());
                }
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }

        public void Dispose()
        {
            foreach (var listener in _listeners)
            {
                listener.Stop();
            }

            foreach (var socket in _held)
            {
                socket.Dispose();
            }
        }
    }

    private sealed record Receiver(WebApplication App, string Url) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await App.DisposeAsync();
    }

    private sealed record RunningPlatform(WebApplication App, string Folder, Uri Url) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(Folder, recursive: true);
        }
    }
}
