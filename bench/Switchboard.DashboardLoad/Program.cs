using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Switchboard.Delivery.Http;
using Switchboard.Delivery.Outbox;
using Switchboard.DurableWork;
using Switchboard.Events;
using Switchboard.Platform;
using Switchboard.Platform.Hosting;
using Switchboard.Signing;
using Switchboard.Web.Shared;

// Load harness for the dashboard: fills a platform database with COUNT delivered and failed deliveries (one attempt
// each, recorded by the real dispatcher with an instant in-process sender; one in ten fails), then starts the platform
// on it with the dashboard and times the pages and the API's list over loopback HTTP.
//   [count] [repeats]   default 100000 deliveries, each URL timed 20 times (the first request of each is a warm-up)
//   streams [count] [streams] [rounds]   times /healthz, POST /v2/messages and a page (rounds, default 20) with no
//                       live streams open, then with STREAMS (default 300) open on a third as many queries
var streamsMode = args.Length > 0 && args[0] == "streams";
args = streamsMode ? args[1..] : args;
var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
var repeats = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
const string ApiKey = "dashboard-load-api-key-0123";
string[] types = [EventTypes.MessageSent, EventTypes.MessageDelivered, EventTypes.MessageFinalized, EventTypes.CallHangup];

var folder = Directory.CreateTempSubdirectory("switchboard-dashboard-load-").FullName;
using var key = Ed25519PrivateKey.Generate();
string middleId;
var fill = Stopwatch.StartNew();
await using (var store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = Path.Combine(folder, PlatformHost.DatabaseFile) }))
{
    var outbox = new WebhookOutbox(store, new DeliveryOptions { Schedule = DeliverySchedule.Parse("0s") });
    using var dispatcher = new DeliveryDispatcher(outbox, new InstantSender(), new WebhookSigningKeys(key));
    var running = Switchboard.Testing.RunningWorker.Start(dispatcher.NewWorker());
    var targets = new[] { new WebhookTarget(new Uri("http://127.0.0.1:9/webhooks/telnyx")) };
    var webhooks = Enumerable.Range(0, count)
        .Select(i => OutboundWebhook.From(SampleEvents.Create(types[i % types.Length], TimeProvider.System), targets))
        .ToList();
    middleId = webhooks[count / 2].EventId;
    foreach (var chunk in webhooks.Chunk(500))
    {
        await outbox.PublishAsync(chunk);
    }

    while (await outbox.CountPendingAsync() > 0)
    {
        await Task.Delay(50);
    }

    await running.DisposeAsync();
}

Console.WriteLine($"filled {count:N0} deliveries in {fill.Elapsed.TotalSeconds:0.0} s ({new FileInfo(Path.Combine(folder, PlatformHost.DatabaseFile)).Length / (1024 * 1024)} MiB)");
var options = new PlatformOptions { ApiKey = ApiKey, SigningKey = key, DataDirectory = folder };
await using var app = await PlatformHost.StartAsync(options, ["http://127.0.0.1:0"], logging => logging.AddFilter(_ => false),
    mapPages: pages => pages.MapSwitchboardDashboard(PageAccess.For(pages)));
using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);

if (streamsMode)
{
    var streams = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 300;
    await LiveStreamLoad.RunAsync(client, app.Urls.First(), streams, rounds: args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20, middleId);
    await app.StopAsync();
    Directory.Delete(folder, recursive: true);
    return;
}

var hourAgo = DateTimeOffset.UtcNow.AddHours(-1).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);
var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);
(string Name, string Path)[] urls =
[
    ("deliveries, first page", "/"),
    ("deliveries, page 1000", "/?page=1000"),
    ("status failed", "/?status=failed"),
    ("status failed, page 100", "/?status=failed&page=100"),
    ("event type call.hangup", "/?event_type=call.hangup"),
    ("payload contains an id", $"/?q={middleId}"),
    ("time range (last hour)", $"/?from={hourAgo}&to={now}"),
    ("one delivery", $"/deliveries/{middleId}"),
    ("charts (every request in the hour)", "/charts"),
    ("API: GET /v2/webhook_deliveries", "/v2/webhook_deliveries"),
    ("API: filter[status][eq]=failed", "/v2/webhook_deliveries?filter[status][eq]=failed"),
];
Console.WriteLine($"{"page",-38} {"median ms",10} {"max ms",8}  ({repeats} requests each, after one warm-up)");
foreach (var (name, path) in urls)
{
    using (var warm = await client.GetAsync(path))
    {
        warm.EnsureSuccessStatusCode();
    }

    var times = new List<double>();
    for (var i = 0; i < repeats; i++)
    {
        var clock = Stopwatch.StartNew();
        using var response = await client.GetAsync(path);
        await response.Content.ReadAsByteArrayAsync();
        times.Add(clock.Elapsed.TotalMilliseconds);
        response.EnsureSuccessStatusCode();
    }

    times.Sort();
    Console.WriteLine($"{name,-38} {times[times.Count / 2],10:0.0} {times[^1],8:0.0}");
}

await app.StopAsync();
Directory.Delete(folder, recursive: true);

/// <summary>Answers every request at once without a network: 200, or 500 for one event in ten.</summary>
internal sealed class InstantSender : IWebhookSender
{
    private int _sent;

    public Task<SendOutcome> SendAsync(SendRequest request, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var status = Interlocked.Increment(ref _sent) % 10 == 0 ? 500 : 200;
        return Task.FromResult(new SendOutcome
        {
            Url = request.Url,
            StartedAt = now,
            FinishedAt = now.AddMilliseconds(3),
            RequestHeaders = request.Headers,
            StatusCode = status,
            Error = status == 200 ? SendErrorKind.None : SendErrorKind.HttpStatus,
        });
    }
}
