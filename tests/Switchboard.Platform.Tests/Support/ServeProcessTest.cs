using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Switchboard.Platform.Tests.Support;

/// <summary>
/// What the tests of real <c>serve</c> processes (crashes, PostgreSQL workers and outages) start from: a data folder of
/// their own, a webhook sink, and the API calls that set up a number to send from or to call.
/// </summary>
public abstract class ServeProcessTest(string prefix) : IAsyncLifetime
{
    protected string Folder { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    protected WebhookSink Sink { get; private set; } = null!;

    public virtual async Task InitializeAsync() => Sink = await WebhookSink.StartAsync();

    public virtual async Task DisposeAsync()
    {
        await Sink.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(Folder, recursive: true);
    }

    /// <summary>The key the processes sign with (created in the data folder by the first one).</summary>
    protected string PublicKey() => File.ReadAllText(Path.Combine(Folder, "data", "ed25519.pub")).Trim();

    /// <summary>Posts JSON; the answer's data, asserting a 2xx.</summary>
    protected static async Task<JsonElement> PostAsync(HttpClient client, string path, JsonObject body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("data").Clone();
    }

    /// <summary>Posts JSON; the answer's data on a 2xx, null when the request failed (the process was killed under it).</summary>
    protected static async Task<JsonElement?> TryPostAsync(HttpClient client, string path, JsonObject body)
    {
        try
        {
            using var response = await client.PostAsJsonAsync(path, body);
            return response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data") : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>A messaging profile (its webhooks to <paramref name="webhookUrl"/>, or the global URL when null) and <paramref name="number"/> on it.</summary>
    protected static async Task ProfileWithNumberAsync(HttpClient client, string name, string number, string? webhookUrl = null)
    {
        var profile = await PostAsync(client, "/v2/messaging_profiles", new JsonObject
        {
            ["name"] = name, ["whitelisted_destinations"] = new JsonArray("US"), ["webhook_url"] = webhookUrl,
        });
        await PostAsync(client, "/v2/number_orders", new JsonObject
        {
            ["phone_numbers"] = new JsonArray(new JsonObject { ["phone_number"] = number }),
            ["messaging_profile_id"] = profile.GetProperty("id").GetString(),
        });
    }

    /// <summary>A Call Control application sending its webhooks to <paramref name="webhookUrl"/> and <paramref name="number"/> on it; returns the application's id.</summary>
    protected static async Task<string> ApplicationWithNumberAsync(HttpClient client, string name, string number, string webhookUrl)
    {
        var application = (await PostAsync(client, "/v2/call_control_applications",
            new JsonObject { ["application_name"] = name, ["webhook_event_url"] = webhookUrl })).GetProperty("id").GetString()!;
        await PostAsync(client, "/v2/number_orders", new JsonObject
        {
            ["phone_numbers"] = new JsonArray(new JsonObject { ["phone_number"] = number }),
            ["connection_id"] = application,
        });
        return application;
    }
}
