using System.Globalization;
using Switchboard.Delivery.CrashHost;
using Switchboard.Delivery.Http;
using Switchboard.Delivery.Outbox;
using Switchboard.DurableWork;
using Switchboard.Events;
using Switchboard.Signing;

// A dispatcher process for the crash-safety and recovery tests, which kill it with SIGKILL and start it again:
//   deliver ...                          a dispatcher alone (see DeliverHost)
//   keys <database> <first key>          enqueues keys from <first key> on, 8 writers at once, with a pass into the key
//                                        index every 64 keys, printing "acked <key>" once each is durable, until killed
//   <database> <sink base url> <count>   publishes and delivers, as follows
// Publishes events evt-0 .. evt-<count-1> (every tenth to <sink>/fail, the others to <sink>/ok) on a SQLite
// file while its dispatcher delivers them, and exits once nothing is pending. Publishing is idempotent, so
// each start publishes the whole list again and only what a killed run had not published is new. A publish that
// fails (the disk-full test caps the size of its files) is printed as "publish failed: ..." and tried again.
if (args is ["deliver", .. var options])
{
    return await DeliverHost.RunAsync(options);
}

if (args is ["keys", var database, var first])
{
    await using var keyStore = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = database, MinKeyGeneration = 64 });
    Console.WriteLine("started");
    var next = long.Parse(first, CultureInfo.InvariantCulture);
    var output = TextWriter.Synchronized(Console.Out);
    await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
    {
        while (true)
        {
            var key = $"key-{Interlocked.Increment(ref next)}";
            if ((await keyStore.EnqueueAsync("q", [new NewWorkItem(key, "{}", DateTimeOffset.UnixEpoch, 1)]))[0])
            {
                output.WriteLine($"acked {key}");
            }
        }
    }));
    return 0;
}

if (args.Length != 3 || !Uri.TryCreate(args[1], UriKind.Absolute, out var sink) || !int.TryParse(args[2], CultureInfo.InvariantCulture, out var count))
{
    Console.Error.WriteLine("usage: <database> <sink base url> <count>");
    return 2;
}

await using var store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = args[0] });
var outbox = new WebhookOutbox(store, new DeliveryOptions
{
    Schedule = DeliverySchedule.Parse("0s,1s,2s"),
    PollInterval = TimeSpan.FromMilliseconds(100),
});
using var key = Ed25519PrivateKey.Generate();
// A generous timeout: on a loaded machine a slow answer must not turn into a retry (a duplicate the test would count).
using var sender = new HttpWebhookSender(new HttpWebhookSenderOptions { AllowPrivateNetworks = true, Timeout = TimeSpan.FromSeconds(60) });
using var dispatcher = new DeliveryDispatcher(outbox, sender, new WebhookSigningKeys(key));
using var stop = new CancellationTokenSource();
var running = dispatcher.NewWorker().RunAsync(stop.Token);
Console.WriteLine("started");

var ok = new[] { new WebhookTarget(new Uri(sink, "/ok")) };
var fail = new[] { new WebhookTarget(new Uri(sink, "/fail")) };
foreach (var batch in Enumerable.Range(0, count).Chunk(50))
{
    OutboundWebhook[] webhooks = [.. batch.Select(i =>
    {
        var data = SampleEvents.Create(EventTypes.MessageSent, TimeProvider.System);
        return new OutboundWebhook($"evt-{i}", data.EventType, $"{{\"id\":\"evt-{i}\",\"event_type\":\"{data.EventType}\",\"record_type\":\"event\"}}", i % 10 == 0 ? fail : ok);
    })];
    // A publisher whose store cannot write (a full disk) tries again; publishing is idempotent on the event id.
    while (true)
    {
        try
        {
            await outbox.PublishAsync(webhooks);
            break;
        }
        catch (Exception ex)
        {
            Console.WriteLine($"publish failed: {ex.Message}");
            await Task.Delay(100);
        }
    }
}

Console.WriteLine("published");
while (await outbox.CountPendingAsync() > 0)
{
    await Task.Delay(100);
}

await stop.CancelAsync();
await running;
Console.WriteLine("done");
return 0;
