using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Platform.Tests.Support;
using Xunit.Abstractions;

namespace Switchboard.Platform.Tests;

/// <summary>
/// A database restart under load: an <c>--role api</c> and a <c>--role worker</c> process on PostgreSQL, with clients
/// sending messages throughout, while the server is stopped (<c>pg_ctl -m fast</c>, as an operator's restart) and started
/// again three times. Every request is answered 200 or 503, nothing accepted is lost, and what was accepted before an
/// outage is finalized within seconds of the database accepting connections again: the processes recover by themselves,
/// without waiting for a restart, a takeover or the pause given to work that failed on its own.
/// </summary>
public sealed class PostgresOutageTests(ITestOutputHelper output) : ServeProcessTest("switchboard-serve-pg-outage-")
{
    /// <summary>
    /// The issue's target: every message accepted before the outage finalized within 10 s of the database answering. On
    /// a quiet machine it takes 1–2 s; at a load average of 40–75 (other builds on the 2-core machine) a process's first
    /// restart took 11–14 s, later ones 3–8 s. Figures: docs/benchmarks.md.
    /// </summary>
    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(10);

    // A server of its own: the restarts must not cut off the tests that share the collection's server.
    private readonly PostgresServer _server = new();
    private readonly Dictionary<string, long> _finalized = [];
    private int _webhooksRead;

    public override async Task InitializeAsync()
    {
        await _server.InitializeAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Three_database_restarts_under_load_lose_nothing_answer_only_200_or_503_and_recover_within_seconds()
    {
        const int Restarts = 3;
        var database = await _server.CreateDatabaseAsync();
        var shared = ServeProcess.OnPostgres(Folder, database.ConnectionString, lifecycleDelay: "50ms");
        await using var api = await ServeProcess.StartAsync([.. shared, "--role", "api"]);
        await using var worker = await ServeProcess.StartAsync([.. shared, "--role", "worker"]);
        using var client = api.Client();
        var number = await SetUpNumberAsync(client);

        // What each request got: the message id of a 200 (with when its answer came), or the status of anything else.
        var accepted = new ConcurrentDictionary<string, long>();
        var unavailable = 0;
        var wrongAnswers = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var senders = Enumerable.Range(0, 4).Select(s => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    // 555-2000 to 555-5999: clear of the magic numbers (555-0100 to 555-0199), so every message is delivered.
                    using var response = await client.PostAsJsonAsync("/v2/messages",
                        new JsonObject { ["from"] = number, ["to"] = $"+1312555{2000 + s * 1000 + i % 1000:D4}", ["text"] = "through a restart" });
                    var text = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        accepted[JsonDocument.Parse(text).RootElement.GetProperty("data").GetProperty("id").GetString()!] = Stopwatch.GetTimestamp();
                    }
                    else if (response.StatusCode == HttpStatusCode.ServiceUnavailable && IsTelnyxError(text) && response.Headers.RetryAfter is not null)
                    {
                        Interlocked.Increment(ref unavailable);
                    }
                    else
                    {
                        wrongAnswers.Enqueue($"{(int)response.StatusCode} (Retry-After: {response.Headers.RetryAfter}) {text}");
                    }
                }
                catch (HttpRequestException ex)
                {
                    wrongAnswers.Enqueue($"no answer: {ex.Message}");
                }

                await Task.Delay(100);
            }
        })).ToArray();

        var recoveries = new List<TimeSpan>();
        var healthWhileDown = new List<string>();
        for (var restart = 1; restart <= Restarts; restart++)
        {
            var before = accepted.Count;
            await Eventually.TrueAsync(() => accepted.Count >= before + 40, $"messages to be accepted before restart {restart}");

            await _server.StopAsync();
            var stoppedAt = Stopwatch.GetTimestamp();
            var inFlight = accepted.Where(a => a.Value < stoppedAt).Select(a => a.Key).ToList();
            using (var health = await client.GetAsync("/healthz"))
            {
                healthWhileDown.Add($"{(int)health.StatusCode} {await health.Content.ReadAsStringAsync()}");
            }

            await Task.Delay(TimeSpan.FromSeconds(2));
            await _server.StartAsync();
            var backAt = Stopwatch.GetTimestamp();

            // Waited for beyond the bound only to say how late they were; the bound is asserted on the figure.
            try
            {
                await Eventually.TrueAsync(() => inFlight.All(id => FinalizedAt(id).HasValue), $"the messages accepted before restart {restart} to be finalized",
                    TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException ex)
            {
                Assert.Fail($"{ex.Message}\n--- worker\n{Tail(worker.Output)}\n--- api\n{Tail(api.Output)}");
            }
            var last = inFlight.MaxBy(id => FinalizedAt(id)!.Value)!;
            var recovery = Stopwatch.GetElapsedTime(backAt, FinalizedAt(last)!.Value);
            recoveries.Add(recovery < TimeSpan.Zero ? TimeSpan.Zero : recovery);
            output.WriteLine($"restart {restart}: {inFlight.Count} messages accepted before it; the last finalized {recovery.TotalSeconds:F1} s after the database was back " +
                $"(down {Stopwatch.GetElapsedTime(stoppedAt, backAt).TotalSeconds:F1} s; its webhooks at " +
                $"{string.Join(", ", Sink.For(last).Select(w => $"{w.EventType} {Stopwatch.GetElapsedTime(backAt, w.ReceivedAt).TotalSeconds:F1} s"))})");
        }

        await stop.CancelAsync();
        await Task.WhenAll(senders);
        var ids = accepted.Keys.ToList();
        await Eventually.TrueAsync(() => ids.All(id => FinalizedAt(id).HasValue), "every accepted message to be finalized", TimeSpan.FromSeconds(60));

        output.WriteLine($"{ids.Count} messages accepted, {unavailable} requests answered 503, {wrongAnswers.Count} answered otherwise");
        output.WriteLine(string.Join('\n', worker.Output.Split('\n').Where(l => !l.Contains("interrupted by a database error", StringComparison.Ordinal) && !l.Contains("Claiming due items", StringComparison.Ordinal))));
        Assert.Empty(wrongAnswers);
        Assert.All(healthWhileDown, h => Assert.Matches(@"^503 .*the database does not answer", h));
        var events = Sink.Received.GroupBy(w => w.PayloadId ?? "").ToDictionary(g => g.Key, g => g.DistinctBy(w => w.EventId).Select(w => w.EventType).ToList());
        foreach (var id in ids)
        {
            Assert.Equal(["message.sent", "message.delivered", "message.finalized"], events[id]);
        }

        Assert.All(recoveries, r => Assert.True(r <= RecoveryBound,
            $"recovery times {string.Join(", ", recoveries.Select(x => $"{x.TotalSeconds:F1} s"))}; bound {RecoveryBound.TotalSeconds} s\n--- worker\n{Tail(worker.Output)}\n--- api\n{Tail(api.Output)}"));
    }

    /// <summary>When the sink first received the message's <c>message.finalized</c> (a <see cref="Stopwatch"/> timestamp).</summary>
    private long? FinalizedAt(string messageId)
    {
        lock (_finalized)
        {
            // Each webhook is read once (the sink keeps them in arrival order): the waits below look up hundreds of ids.
            foreach (var webhook in Sink.Received.Skip(_webhooksRead))
            {
                _webhooksRead++;
                if (webhook.EventType == "message.finalized")
                {
                    _finalized.TryAdd(webhook.PayloadId!, webhook.ReceivedAt);
                }
            }

            return _finalized.TryGetValue(messageId, out var at) ? at : null;
        }
    }

    private async Task<string> SetUpNumberAsync(HttpClient client)
    {
        const string Number = "+18445550001";
        await ProfileWithNumberAsync(client, "outage", Number, Sink.Url("/hooks"));
        return Number;
    }

    private static bool IsTelnyxError(string body)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement.GetProperty("errors")[0].TryGetProperty("code", out _);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            return false;
        }
    }

    private static string Tail(string text) => text.Length <= 6000 ? text : text[^6000..];
}
