using System.Text.Json.Nodes;
using Switchboard.Platform.Tests.Support;
using Xunit.Abstractions;

namespace Switchboard.Platform.Tests;

/// <summary>
/// The platform scaled out: an <c>--role api</c> process and two <c>--role worker</c> processes on one PostgreSQL
/// database (and one data folder for the shared key pair). Every message finishes, and no attempt of an event is
/// sent twice: the two workers never both claim one delivery.
/// </summary>
[Collection(PostgresServer.Collection)]
public sealed class PostgresWorkersTests(PostgresServer server, ITestOutputHelper output) : ServeProcessTest("switchboard-serve-pg-")
{
    [Fact]
    public async Task An_api_and_two_workers_finish_every_message_and_never_send_an_attempt_twice()
    {
        const int Messages = 300;
        var database = await server.CreateDatabaseAsync();
        var shared = ServeProcess.OnPostgres(Folder, database.ConnectionString, lifecycleDelay: "0");
        await using var api = await ServeProcess.StartAsync([.. shared, "--role", "api"]);
        await using var worker1 = await ServeProcess.StartAsync([.. shared, "--role", "worker"]);
        await using var worker2 = await ServeProcess.StartAsync([.. shared, "--role", "worker"]);
        using var client = api.Client();

        await ProfileWithNumberAsync(client, "scaled", "+18445550001", Sink.Url("/hooks"));
        var ids = new List<string>();
        foreach (var chunk in Enumerable.Range(0, Messages).Chunk(20))
        {
            var sent = await Task.WhenAll(chunk.Select(i => PostAsync(client, "/v2/messages",
                new JsonObject { ["from"] = "+18445550001", ["to"] = $"+1312555{3000 + i:D4}", ["text"] = "scaled out" })));
            ids.AddRange(sent.Select(s => s.GetProperty("id").GetString()!));
        }

        await Eventually.TrueAsync(() => ids.All(id => Sink.For(id).Any(w => w.EventType == "message.finalized")),
            "every message to be finalized", TimeSpan.FromMinutes(2));

        var publicKey = PublicKey();
        // Every event arrived, and no attempt of any event was sent twice: the workers never both claimed a delivery.
        // (An attempt may still fail on a loaded machine and be followed by the next one: that is a retry, not a double claim.)
        Assert.Equal(Messages * 3, Sink.Received.Select(w => w.EventId).Distinct().Count());
        Assert.All(Sink.Received.GroupBy(w => (w.EventId, w.Attempt)), g => Assert.Single(g));
        Assert.All(Sink.Received, w => Assert.True(w.VerifiesWith(publicKey)));
        foreach (var id in ids)
        {
            Assert.Equal(["message.sent", "message.delivered", "message.finalized"], Sink.For(id).DistinctBy(w => w.EventId).Select(w => w.EventType));
        }

        output.WriteLine($"{Messages} messages, {Sink.Received.Count} webhooks through 2 workers");
    }
}
