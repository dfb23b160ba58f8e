using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Events;
using Switchboard.Signing;

namespace Switchboard.Cli.Tests;

/// <summary>
/// A full disk under <c>switchboard listen</c>, a real process whose files may not grow past 1 MiB: what it cannot
/// store gets 503 with a problem naming the reason (never a 500, never a 200), nothing is half-written, and once there
/// is room again the same process stores what the senders send again.
/// </summary>
public sealed class ListenDiskFullTests : TempFolderTest
{
    [Fact]
    public async Task A_full_disk_gets_503_loses_nothing_and_the_same_process_recovers()
    {
        using var key = Ed25519PrivateKey.Generate();
        var args = new[] { "--urls", "http://127.0.0.1:0", "--public-key", key.PublicKey.ToBase64(), "--data", PathOf("data") };
        using var listen = await ListenProcess.StartAsync(args, maxFileBytes: 1024 * 1024);
        using var client = new HttpClient();

        // Fill the disk: send new webhooks until 20 in a row are refused.
        var sent = new List<(byte[] Body, HttpStatusCode Status)>();
        var refusedInARow = 0;
        while (refusedInARow < 20)
        {
            Assert.True(sent.Count < 20_000, "the disk never filled");
            var body = new WebhookEnvelope { Data = SampleEvents.Create(EventTypes.MessageReceived, TimeProvider.System) }.ToUtf8Bytes();
            using var response = await listen.PostAsync(client, key, body);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.Equal("store_unavailable", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["reason"]);
                Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
                refusedInARow++;
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("accepted", await StatusOf(response));
                refusedInARow = 0;
            }

            sent.Add((body, response.StatusCode));
        }

        var stored = sent.Count(s => s.Status == HttpStatusCode.OK);
        Assert.True(stored >= 10, $"only {stored} webhooks were stored before the disk filled");
        Assert.False(listen.HasExited);

        await listen.LiftFileSizeLimitAsync();

        // The senders send everything again. What got a 200 is stored: a duplicate now. What got a 503 is stored now,
        // or, had its write reached the disk after all, is a duplicate; either way it is not lost.
        foreach (var (body, status) in sent)
        {
            using var again = await listen.PostAsync(client, key, body);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            if (status == HttpStatusCode.OK)
            {
                Assert.Equal("duplicate", await StatusOf(again));
            }
        }

        // And once more: every one of them is stored, once.
        foreach (var (body, _) in sent)
        {
            using var third = await listen.PostAsync(client, key, body);
            Assert.Equal("duplicate", await StatusOf(third));
        }
    }

    private static async Task<string?> StatusOf(HttpResponseMessage response) =>
        (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"];
}
