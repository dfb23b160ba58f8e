using System.Text.Json.Nodes;
using Switchboard.Platform.Tests.Support;
using Switchboard.Testing;

namespace Switchboard.Platform.Tests;

/// <summary>
/// A profile or application cannot be deleted while a number refers to it; with PostgreSQL (read committed, several
/// connections at once) that must hold when the delete and the assignment race, too: one of them wins, and no number
/// is left pointing at a deleted resource.
/// </summary>
[Collection(PostgresServer.Collection)]
public sealed class PostgresReferenceTests(PostgresServer server) : IAsyncLifetime
{
    private const string Number = "+18445557777";
    private PlatformApp _platform = null!;

    public async Task InitializeAsync()
    {
        var database = await server.CreateDatabaseAsync();
        _platform = await PlatformApp.StartAsync(options => options.PostgresConnectionString = database.ConnectionString);
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
}
