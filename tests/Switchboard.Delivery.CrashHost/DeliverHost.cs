using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Npgsql;
using Switchboard.Delivery.Http;
using Switchboard.Delivery.Outbox;
using Switchboard.DurableWork;
using Switchboard.Signing;

namespace Switchboard.Delivery.CrashHost;

/// <summary>
/// <c>deliver (--sqlite PATH | --postgres CONNECTION) [--heartbeat SECONDS] [--takeover-after SECONDS] [--exit-when-done]</c>:
/// a dispatcher process and nothing else, for the recovery tests, which publish the deliveries themselves and kill, pause
/// and restart this process. Prints <c>ready WORKER_ID</c> once the dispatcher runs, the store's and the dispatcher's
/// warnings as <c>warning: ...</c> lines, and stops cleanly on SIGTERM, or with <c>--exit-when-done</c> once nothing is
/// pending.
/// </summary>
internal static class DeliverHost
{
    /// <summary>The schedule the tests publish with too (the attempt count is stored at publishing).</summary>
    public static readonly DeliverySchedule Schedule = DeliverySchedule.Parse("0s,1s,2s");

    public static async Task<int> RunAsync(string[] args)
    {
        var exitWhenDone = args.Contains("--exit-when-done");
        var options = ReadOptions([.. args.Where(a => a != "--exit-when-done")]);
        if (options is null || (options.GetValueOrDefault("--sqlite") is null) == (options.GetValueOrDefault("--postgres") is null))
        {
            Console.Error.WriteLine("usage: deliver (--sqlite PATH | --postgres CONNECTION) [--heartbeat SECONDS] [--takeover-after SECONDS] [--exit-when-done]");
            return 2;
        }

        var log = new ConsoleLog();
        await using var dataSource = options.GetValueOrDefault("--postgres") is { } connection ? NpgsqlDataSource.Create(connection) : null;
        await using var store = dataSource is null
            ? await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = options["--sqlite"] })
            : await PostgresWorkStore.OpenAsync(dataSource, new PostgresWorkStoreOptions
            {
                HeartbeatInterval = Seconds(options, "--heartbeat") ?? TimeSpan.FromSeconds(1),
                TakeoverAfter = Seconds(options, "--takeover-after") ?? TimeSpan.FromSeconds(10),
                Logger = log,
            });
        var outbox = new WebhookOutbox(store, new DeliveryOptions { Schedule = Schedule, PollInterval = TimeSpan.FromMilliseconds(100) });
        using var key = Ed25519PrivateKey.Generate();
        // Far longer than the slowest answer the tests hold a request for: a slow answer must not become a retry.
        using var sender = new HttpWebhookSender(new HttpWebhookSenderOptions { AllowPrivateNetworks = true, Timeout = TimeSpan.FromSeconds(60) });
        using var dispatcher = new DeliveryDispatcher(outbox, sender, new WebhookSigningKeys(key), logger: log);
        using var stop = new CancellationTokenSource();
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });

        using var stopWorker = new CancellationTokenSource();
        var running = dispatcher.NewWorker().RunAsync(stopWorker.Token);
        Console.WriteLine($"ready {store.WorkerId}");
        try
        {
            while (!exitWhenDone || await outbox.CountPendingAsync(stop.Token) > 0)
            {
                await Task.Delay(100, stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }

        await stopWorker.CancelAsync();
        await running;
        Console.WriteLine("stopped");
        return 0;
    }

    private static Dictionary<string, string>? ReadOptions(string[] args)
    {
        if (args.Length % 2 != 0)
        {
            return null;
        }

        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i += 2)
        {
            options[args[i]] = args[i + 1];
        }

        return options;
    }

    private static TimeSpan? Seconds(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var value) ? TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)) : null;

    /// <summary>Warnings and errors as lines on standard output, where the tests read them.</summary>
    private sealed class ConsoleLog : ILogger<DeliveryDispatcher>
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Console.WriteLine($"{logLevel.ToString().ToLowerInvariant()}: {formatter(state, exception)}");
            }
        }
    }
}
