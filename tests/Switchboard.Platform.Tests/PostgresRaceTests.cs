using System.Text.Json.Nodes;
using Switchboard.Platform.Tests.Support;
using Switchboard.Testing;

namespace Switchboard.Platform.Tests;

/// <summary>
/// Requests that race (each plans on its own snapshot; PostgreSQL: several connections at once, SQLite: reads beside the
/// one writer): one of them wins and the others, planned again, get the 422 they would get one after the other. A number is never left on a deleted profile or application, and a number
/// ordered twice at once is ordered once, the other order refused as a duplicate, and a dial repeated at once with one
/// command_id makes one call (not a 500 from the unique index).
/// </summary>
public abstract class RaceScenarios : IAsyncLifetime
{
    private const string Number = "+18445557777";
    private PlatformApp _platform = null!;

    protected abstract Task<PlatformApp> StartPlatformAsync();

    public async Task InitializeAsync()
    {
        _platform = await StartPlatformAsync();
        await _platform.PostAsync("/v2/number_orders", new JsonObject { ["phone_numbers"] = new JsonArray(new JsonObject { ["phone_number"] = Number }) });
    }

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Theory]
    [InlineData("/v2/messaging_profiles", """{"name":"race","whitelisted_destinations":["US"]}""", "/messaging", "messaging_profile_id")]
    [InlineData("/v2/call_control_applications", """{"application_name":"race","webhook_event_url":"https://example.com/hooks"}""", "", "connection_id")]
    public async Task A_profile_or_application_deleted_while_a_number_is_assigned_to_it_never_leaves_the_number_pointing_at_nothing(
        string resources, string create, string numberPath, string field)
    {
        for (var i = 0; i < 20; i++)
        {
            var id = (await _platform.OkAsync(HttpMethod.Post, resources, create)).GetProperty("id").GetString()!;

            await Task.WhenAll(
                _platform.SendAsync(HttpMethod.Delete, $"{resources}/{id}"),
                _platform.SendAsync(HttpMethod.Patch, $"/v2/phone_numbers/{Number}{numberPath}", new JsonObject { [field] = id }));

            var assigned = (await _platform.GetAsync($"/v2/phone_numbers/{Number}")).GetProperty(field).GetString();
            var (status, _) = await _platform.SendAsync(HttpMethod.Get, $"{resources}/{id}");
            Assert.False(assigned == id && status == 404, $"round {i}: the number's {field} is {id}, which was deleted");
            await _platform.OkAsync(HttpMethod.Patch, $"/v2/phone_numbers/{Number}{numberPath}", new JsonObject { [field] = null });
        }
    }

    [Fact]
    public async Task A_number_ordered_by_several_requests_at_once_is_ordered_once_and_the_others_are_duplicates()
    {
        for (var i = 0; i < 5; i++)
        {
            var order = new JsonObject { ["phone_numbers"] = new JsonArray(new JsonObject { ["phone_number"] = $"+1844555800{i}" }) };

            var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => _platform.SendAsync(HttpMethod.Post, "/v2/number_orders", order.DeepClone())));

            Assert.Equal(1, answers.Count(a => a.Status == 200));
            Assert.All(answers.Where(a => a.Status != 200), a => Assert.Equal((422, "10012"), (a.Status, a.Body.GetProperty("errors")[0].GetProperty("code").GetString())));
        }
    }

    [Fact]
    public async Task A_dial_sent_several_times_at_once_with_one_command_id_makes_one_call()
    {
        var application = await _platform.PostAsync("/v2/call_control_applications", new JsonObject { ["application_name"] = "dialer", ["webhook_event_url"] = "https://example.com/hooks" });
        var connectionId = application.GetProperty("id").GetString()!;
        await _platform.OkAsync(HttpMethod.Patch, $"/v2/phone_numbers/{Number}", new JsonObject { ["connection_id"] = connectionId });
        for (var i = 0; i < 5; i++)
        {
            var dial = new JsonObject { ["connection_id"] = connectionId, ["from"] = Number, ["to"] = "+13125550100", ["command_id"] = $"dial-{i}" };

            var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => _platform.SendAsync(HttpMethod.Post, "/v2/calls", dial.DeepClone())));

            Assert.All(answers, a => Assert.Equal(200, a.Status));
            Assert.Single(answers.Select(a => a.Body.GetProperty("data").GetProperty("call_control_id").GetString()).Distinct());
        }
    }
}

[Collection(PostgresServer.Collection)]
public sealed class PostgresRaceTests(PostgresServer server) : RaceScenarios
{
    protected override async Task<PlatformApp> StartPlatformAsync()
    {
        var database = await server.CreateDatabaseAsync();
        return await PlatformApp.StartAsync(options => options.PostgresConnectionString = database.ConnectionString);
    }
}

public sealed class SqliteRaceTests : RaceScenarios
{
    protected override Task<PlatformApp> StartPlatformAsync() => PlatformApp.StartAsync();
}
