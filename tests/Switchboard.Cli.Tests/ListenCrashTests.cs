using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.Events;
using Switchboard.Signing;
using Switchboard.Testing;

namespace Switchboard.Cli.Tests;

/// <summary>
/// Crash safety with a real process: <c>switchboard listen</c> under load is killed with SIGKILL and restarted on
/// the same data. Every request that got a 2xx is in the inbox afterwards (a re-POST is a duplicate), and its
/// handler (forwarding, to an idempotent sink keyed by event id) ran for it, for stored events only.
/// </summary>
public sealed class ListenCrashTests : TempFolderTest
{
    [Fact]
    public async Task After_kill_9_every_acknowledged_webhook_is_stored_and_handled()
    {
        using var key = Ed25519PrivateKey.Generate();
        var forwarded = new ConcurrentDictionary<string, int>();
        await using var sink = await StartSinkAsync(forwarded);
        var sinkUrl = sink.Urls.Single() + "/sink";
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

        await Eventually.TrueAsync(() => acknowledged.Keys.All(forwarded.ContainsKey), "every acknowledged webhook to be forwarded", TimeSpan.FromMinutes(2));
        Assert.All(forwarded.Keys, id => Assert.True(attempted.ContainsKey(id), $"{id} was forwarded but never sent"));
        // At most the forwards cut off by the kill were repeated; the sink is idempotent on the event id.
        Assert.True(forwarded.Values.Count(n => n > 1) <= 8 + acknowledged.Count / 10, $"{forwarded.Values.Count(n => n > 1)} repeated forwards");
    }

    private static async Task<WebApplication> StartSinkAsync(ConcurrentDictionary<string, int> forwarded)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapPost("/sink", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            Assert.True(WebhookEnvelope.TryParse(body.ToArray(), out var envelope, out _));
            forwarded.AddOrUpdate(envelope.Data.Id, 1, (_, n) => n + 1);
            return Results.Ok();
        });
        await app.StartAsync();
        return app;
    }
}
