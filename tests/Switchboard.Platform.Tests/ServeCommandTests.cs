using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Switchboard.Platform.Tests.Support;

namespace Switchboard.Platform.Tests;

/// <summary><c>switchboard serve</c> as a user starts it: what it prints, what it keeps in its data folder, how it stops.</summary>
public sealed class ServeCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("switchboard-serve-").FullName;

    private string Data => Path.Combine(_folder, "data");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task It_prints_what_a_client_needs_keeps_its_keys_and_api_key_and_stops_cleanly_on_sigterm()
    {
        string apiKey;
        string publicKey;
        await using (var first = await ServeProcess.StartWithAsync(["--data", Data]))
        {
            apiKey = first.Printed("API key");
            publicKey = first.Printed("Public key");
            Assert.Equal(Path.GetFullPath(Data), first.Printed("Data folder"));
            Assert.Contains($"TELNYX_BASE_URL={first.BaseAddress.ToString().TrimEnd('/')}/v2", first.Output, StringComparison.Ordinal);
            Assert.Contains("loopback and private addresses are allowed", first.Output, StringComparison.Ordinal);
            Assert.Equal(0, await first.StopAsync());
            Assert.Contains("stopping", first.Output, StringComparison.Ordinal);
        }

        await using var second = await ServeProcess.StartWithAsync(["--data", Data]);
        Assert.Equal((apiKey, publicKey), (second.Printed("API key"), second.Printed("Public key")));
        var shown = await ServeProcess.RunCliAsync("keys", "show", "--data", Data);
        Assert.Equal((0, publicKey), (shown.Code, shown.Output.Trim()));
        using var client = second.Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
        Assert.True((await client.GetAsync("/v2/messaging_profiles")).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Its_data_folder_and_files_are_owner_only_after_start()
    {
        await using var serve = await ServeProcess.StartWithAsync(["--data", Data]);
        using var client = serve.Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", serve.Printed("API key"));
        Assert.True((await client.PostAsJsonAsync("/v2/messaging_profiles", new { name = "p", whitelisted_destinations = new[] { "US" } })).IsSuccessStatusCode);

        OwnerOnly.AssertFolder(Data, ["switchboard.db", "switchboard.db-wal", "switchboard.db-shm", "switchboard.db.lock", "ed25519.key", "api-key"], "ed25519.pub");
    }

    [Fact]
    public async Task A_second_serve_on_the_same_data_folder_is_refused_and_the_first_keeps_working()
    {
        await using var first = await ServeProcess.StartAsync("--data", Data);
        await using var second = await ServeProcess.StartAsync("--data", Data);

        Assert.Equal(1, second.ExitCode);
        Assert.Contains($"the data folder {Path.GetFullPath(Data)} is in use by another process", second.Output, StringComparison.Ordinal);
        Assert.Single(second.Output.Split('\n'), line => line.Contains("in use", StringComparison.Ordinal));
        using var client = first.Client();
        Assert.True((await client.GetAsync("/v2/messaging_profiles")).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Home_health_and_metrics_answer_without_the_api_key()
    {
        await using var serve = await ServeProcess.StartAsync("--data", Data, "--lifecycle-delay", "0");
        using var client = serve.Client();
        var profile = await (await client.PostAsJsonAsync("/v2/messaging_profiles", new JsonObject { ["name"] = "m", ["whitelisted_destinations"] = new JsonArray("US") }))
            .Content.ReadFromJsonAsync<JsonObject>();
        await client.PostAsJsonAsync("/v2/number_orders", new JsonObject
        {
            ["phone_numbers"] = new JsonArray(new JsonObject { ["phone_number"] = "+18445550001" }),
            ["messaging_profile_id"] = profile!["data"]!["id"]!.GetValue<string>(),
        });
        (await client.PostAsJsonAsync("/v2/messages", new JsonObject { ["from"] = "+18445550001", ["to"] = "+13125550100", ["text"] = "metrics" })).EnsureSuccessStatusCode();
        using var anonymous = new HttpClient { BaseAddress = serve.BaseAddress };

        // The dashboard (on loopback, no login) shows the public key on its "try it" page.
        Assert.Contains(File.ReadAllText(Path.Combine(Data, "ed25519.pub")).Trim().Replace("+", "&#x2B;", StringComparison.Ordinal), await anonymous.GetStringAsync("/try"), StringComparison.Ordinal);
        Assert.Equal("Healthy", await anonymous.GetStringAsync("/healthz"));
        await Eventually.TrueAsync(async () => (await anonymous.GetStringAsync("/metrics")).Split('\n')
            .Any(line => line.StartsWith("switchboard_platform_messages_total{", StringComparison.Ordinal) && line.Contains("direction=\"outbound\"", StringComparison.Ordinal)),
            "the message counter in /metrics");
        Assert.Contains("switchboard_delivery_queue_depth", await anonymous.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--role", "worker")]
    [InlineData("--retry-schedule", "0s,1x")]
    [InlineData("--attempt-timeout", "forever")]
    [InlineData("--retention", "30s")]
    [InlineData("--storage", "postgres")]
    public async Task Bad_options_are_refused_before_anything_starts(string option, string value)
    {
        await using var serve = await ServeProcess.StartAsync("--data", Data, option, value);

        Assert.NotEqual(0, serve.ExitCode ?? (await WaitForExitAsync(serve)));
        Assert.Contains(option, serve.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Ready.", serve.Output, StringComparison.Ordinal);
    }

    private static async Task<int> WaitForExitAsync(ServeProcess serve)
    {
        await Eventually.TrueAsync(() => serve.ExitCode is not null, "serve to exit");
        return serve.ExitCode!.Value;
    }
}
