using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchboard.Web.Tests;

/// <summary>The platform's API as a test's own code calls it: a profile whose webhooks go somewhere, a number on it, messages.</summary>
internal sealed class ApiClient : IDisposable
{
    public const string From = "+18445550001";

    private readonly HttpClient _client;

    public ApiClient(string baseUrl)
    {
        _client = new HttpClient { BaseAddress = new Uri(baseUrl) };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", InProcessSwitchboard.ApiKey);
    }

    public async Task<JsonElement> PostAsync(string path, JsonObject body)
    {
        using var response = await _client.PostAsync(path, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("data").Clone();
    }

    public async Task<JsonElement> GetAsync(string path)
    {
        using var response = await _client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("data").Clone();
    }

    /// <summary>A messaging profile whose webhooks go to <paramref name="webhookUrl"/>, and the number <see cref="From"/> on it.</summary>
    public async Task ProfileWithNumberAsync(string webhookUrl)
    {
        var profile = await PostAsync("/v2/messaging_profiles", new JsonObject
        {
            ["name"] = "web tests",
            ["whitelisted_destinations"] = new JsonArray("US"),
            ["webhook_url"] = webhookUrl,
        });
        await PostAsync("/v2/number_orders", new JsonObject
        {
            ["phone_numbers"] = new JsonArray(new JsonObject { ["phone_number"] = From }),
            ["messaging_profile_id"] = profile.GetProperty("id").GetString(),
        });
    }

    /// <summary>Sends a message; returns its id.</summary>
    public async Task<string> SendAsync(string to, string text) =>
        (await PostAsync("/v2/messages", new JsonObject { ["from"] = From, ["to"] = to, ["text"] = text })).GetProperty("id").GetString()!;

    public void Dispose() => _client.Dispose();
}
