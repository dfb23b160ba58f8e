using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Events;
using Switchboard.Signing;
using Switchboard.Testing;
using Xunit.Abstractions;

namespace Switchboard.Cli.Tests;

/// <summary>
/// Crash safety with a real process: <c>switchboard listen</c> under load is killed with SIGKILL and restarted on
/// the same data. Every request that got a 2xx is in the inbox afterwards (a re-POST is a duplicate), and its
/// handler (forwarding, to an idempotent sink keyed by event id) ran for it, for stored events only. A forward cut
/// off by the kill goes out again as soon as the restarted listener is up (issue 20), and a second listener on the
/// same data folder is turned away while the first goes on.
/// </summary>
public sealed class ListenCrashTests(ITestOutputHelper output) : TempFolderTest
{
    [Fact]
    public async Task A_forward_cut_off_by_kill_9_is_sent_again_within_2_s_of_the_restarted_listen_being_ready()
    {
        // As a new user would: keys, a slow local app, listen forwarding to it, trigger.
        Assert.Equal(0, (await Cli.Run(TimeProvider.System, "keys", "generate", "--out", PathOf("keys"))).ExitCode);
        await using var app = await SlowApp.StartAsync();
        var forwards = 0;
        app.AnswerWhen = _ => Interlocked.Increment(ref forwards) == 1 ? Task.Delay(Timeout.Infinite) : Task.CompletedTask;
        string[] args = [
            "--urls", "http://127.0.0.1:0", "--public-key", File.ReadAllText(PathOf("keys/ed25519.pub")).Trim(), "--data", PathOf("data"),
            "--forward-to", app.Url("/app/webhooks").ToString(), "--forward-timeout", "60",
        ];

        using (var first = await ListenProcess.StartAsync(args))
        {
            using var trigger = ChildProcess.StartDotnet(ListenProcess.Cli, ["trigger", "message.received", "--to", first.BaseUrl + "/webhooks/telnyx", "--key", PathOf("keys/ed25519.key")]);
            Assert.True(await trigger.WaitForExitAsync() == 0, trigger.ToString());
            await Eventually.TrueAsync(() => app.Received.Count == 1, "the forward to reach the app");
            first.Kill9();
        }

        using var second = await ListenProcess.StartAsync(args);
        var again = await Eventually.GetAsync(() => Task.FromResult(app.Received.ElementAtOrDefault(1)), p => p is not null, "the forward to be sent again");
        var afterReady = second.Ready.Until(again!.ReceivedAt);
        output.WriteLine($"forwarded again {afterReady.TotalMilliseconds:0} ms after the restarted listen printed 'Listening on' " +
            $"({Stopwatch.GetElapsedTime(second.Process.StartedAt, again.ReceivedAt).TotalMilliseconds:0} ms after its process started)");
        Assert.Equal(app.Received[0].Body, again.Body);
        Assert.True(afterReady <= TimeSpan.FromSeconds(2), $"forwarded again {afterReady.TotalMilliseconds:0} ms after 'Listening on'");
        await second.Process.WaitForLineAsync(l => l.Contains($"-> forwarded {again.EventId}", StringComparison.Ordinal), "the app's answer");
    }

    [Fact]
    public async Task A_second_listen_on_the_same_data_folder_is_refused_once_with_the_folder_and_process_and_the_first_goes_on()
    {
        using var key = Ed25519PrivateKey.Generate();
        var data = PathOf("data");
        string[] args = ["--urls", "http://127.0.0.1:0", "--public-key", key.PublicKey.ToBase64(), "--data", data];
        using var first = await ListenProcess.StartAsync(args);

        using var second = ChildProcess.StartDotnet(ListenProcess.Cli, ["listen", .. args]);
        Assert.NotEqual(0, await second.WaitForExitAsync());
        var printed = string.Join('\n', second.Lines.Select(l => l.Text)) + second.Error;
        Assert.Contains($"the data folder {data} is in use by another process (process id {first.Process.Id})", printed, StringComparison.Ordinal);
        Assert.Single(printed.Split('\n'), l => l.Contains("in use by another process", StringComparison.Ordinal));
        Assert.DoesNotContain("Listening on", printed, StringComparison.Ordinal);

        using var client = new HttpClient();
        var webhook = new WebhookEnvelope { Data = SampleEvents.Create(EventTypes.MessageReceived, TimeProvider.System) };
        using var response = await first.PostAsync(client, key, webhook.ToUtf8Bytes());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("accepted", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]);
    }

    [Fact]
    public async Task After_kill_9_every_acknowledged_webhook_is_stored_and_handled()
    {
        using var key = Ed25519PrivateKey.Generate();
        await using var sink = await SlowApp.StartAsync();
        var sinkUrl = sink.Url("/sink").ToString();
        var args = new[] { "--urls", "http://127.0.0.1:0", "--public-key", key.PublicKey.ToBase64(), "--data", PathOf("data"), "--forward-to", sinkUrl };
        using var client = new HttpClient();

        var acknowledged = new ConcurrentDictionary<string, byte[]>();
        var attempted = new ConcurrentDictionary<string, byte>();
        using (var first = await ListenProcess.StartAsync(args))
        {
            var killed = 0;
            var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                while (Volatile.Read(ref killed) == 0)
                {
                    var webhook = new WebhookEnvelope { Data = SampleEvents.Create(EventTypes.MessageReceived, TimeProvider.System) };
                    var body = webhook.ToUtf8Bytes();
                    attempted[webhook.Data.Id] = 0;
                    try
                    {
                        using var response = await first.PostAsync(client, key, body);
                        if (response.IsSuccessStatusCode)
                        {
                            acknowledged[webhook.Data.Id] = body;
                        }
                    }
                    catch (HttpRequestException) when (Volatile.Read(ref killed) == 1)
                    {
                        return;
                    }
                }
            })).ToList();

            await Eventually.TrueAsync(() => acknowledged.Count >= 300, "300 acknowledged webhooks", TimeSpan.FromMinutes(2));
            Volatile.Write(ref killed, 1);
            first.Kill9();
            await Task.WhenAll(workers);
        }

        using var second = await ListenProcess.StartAsync(args);
        foreach (var (id, body) in acknowledged)
        {
            using var again = await second.PostAsync(client, key, body);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Equal("duplicate", (string?)JsonNode.Parse(await again.Content.ReadAsStringAsync())!["status"]);
        }

        Dictionary<string, int> Forwarded() => sink.Received.GroupBy(p => p.EventId).ToDictionary(g => g.Key, g => g.Count());
        await Eventually.TrueAsync(() => acknowledged.Keys.All(Forwarded().ContainsKey), "every acknowledged webhook to be forwarded", TimeSpan.FromMinutes(2));
        var forwarded = Forwarded();
        Assert.All(forwarded.Keys, id => Assert.True(attempted.ContainsKey(id), $"{id} was forwarded but never sent"));
        // At most the forwards cut off by the kill were repeated; the sink is idempotent on the event id.
        Assert.True(forwarded.Values.Count(n => n > 1) <= 8 + acknowledged.Count / 10, $"{forwarded.Values.Count(n => n > 1)} repeated forwards");
    }

}
