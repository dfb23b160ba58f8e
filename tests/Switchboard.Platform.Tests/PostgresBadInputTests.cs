using Switchboard.Platform.Tests.Support;
using Switchboard.Testing;

namespace Switchboard.Platform.Tests;

/// <summary>
/// Input SQLite stores but PostgreSQL cannot: a NUL character (U+0000) in a text column or a query parameter. The API
/// refuses it, whatever the store, with a 4xx in Telnyx's error shape, instead of the database's error as a 500.
/// </summary>
[Collection(PostgresServer.Collection)]
public sealed class PostgresBadInputTests(PostgresServer server) : IAsyncLifetime
{
    private PlatformApp _platform = null!;

    public async Task InitializeAsync()
    {
        var database = await server.CreateDatabaseAsync();
        _platform = await PlatformApp.StartAsync(options => options.PostgresConnectionString = database.ConnectionString);
    }

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Theory]
    [InlineData("POST", "/v2/messaging_profiles", """{"name":"a\u0000b","whitelisted_destinations":["US"]}""", 422)]
    [InlineData("POST", "/v2/call_control_applications", """{"application_name":"a\u0000b","webhook_event_url":"https://example.com/hooks"}""", 422)]
    [InlineData("GET", "/v2/messaging_profiles?filter[name]=a%00b", null, 400)]
    [InlineData("GET", "/v2/messaging_profiles?filter[name][contains]=%00", null, 400)]
    [InlineData("GET", "/v2/call_control_applications?filter[application_name][contains]=%00", null, 400)]
    [InlineData("GET", "/v2/phone_numbers?filter[messaging_profile_id]=%00", null, 400)]
    // GET /webhook_deliveries declares 422 (not 400) for a query it refuses.
    [InlineData("GET", "/v2/webhook_deliveries?filter[webhook][contains]=%00", null, 422)]
    [InlineData("GET", "/v2/webhook_deliveries?filter[event_type]=%00", null, 422)]
    public async Task A_nul_character_gets_a_4xx_in_telnyx_shape_not_a_500(string method, string path, string? body, int status)
    {
        var (answer, json) = await _platform.SendAsync(new HttpMethod(method), path, body);

        Assert.Equal(status, answer);
        Assert.Equal("10015", json.GetProperty("errors")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task The_dashboards_delivery_filters_refuse_a_nul_character_with_400_too()
    {
        var database = await server.CreateDatabaseAsync();
        var folder = Directory.CreateTempSubdirectory("switchboard-serve-pg-").FullName;
        try
        {
            await using var serve = await ServeProcess.StartAsync("--data", folder, "--storage", "postgres", "--connection-string", database.ConnectionString);
            using var client = new HttpClient { BaseAddress = serve.BaseAddress };

            foreach (var query in new[] { "?event_type=%00", "?q=%00" })
            {
                using var response = await client.GetAsync(new Uri(query, UriKind.Relative));
                Assert.True((int)response.StatusCode == 400, $"{query}: {(int)response.StatusCode}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
