using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Delivery.Outbox;
using Switchboard.Platform.Hosting;
using Switchboard.Platform.Lifecycle;
using Switchboard.Signing;

namespace Switchboard.Platform.Tests.Support;

/// <summary>
/// The platform in this process on a free loopback port (SQLite in a temp folder, lifecycle delay 0, webhooks to
/// loopback allowed), with a client that speaks its API.
/// </summary>
public sealed class PlatformApp : IAsyncDisposable
{
    public const string ApiKey = "test-api-key-0123456789";

    private readonly WebApplication _app;
    private readonly Ed25519PrivateKey _key;

    private readonly IdleWatchedStore? _watch;

    private PlatformApp(WebApplication app, Ed25519PrivateKey key, string folder, IdleWatchedStore? watch)
    {
        _app = app;
        _key = key;
        _watch = watch;
        Folder = folder;
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
    }

    public HttpClient Client { get; }

    public string Folder { get; }

    public string PublicKey => _key.PublicKey.ToBase64();

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts the platform; on a fake <paramref name="clock"/> its store is watched, so <see cref="RunDueAsync"/> can tell when the workers are idle.</summary>
    public static async Task<PlatformApp> StartAsync(Action<PlatformOptions>? configure = null, FakeTimeProvider? clock = null)
    {
        var folder = Directory.CreateTempSubdirectory("switchboard-platform-").FullName;
        var key = Ed25519PrivateKey.Generate();
        var options = new PlatformOptions { ApiKey = ApiKey, SigningKey = key, DataDirectory = folder, LifecycleDelay = TimeSpan.Zero };
        configure?.Invoke(options);
        IdleWatchedStore? watch = null;
        var app = await PlatformHost.StartAsync(options, ["http://127.0.0.1:0"], logging => { }, clock, mapPages: null,
            clock is null ? null : store => watch = new IdleWatchedStore(store, clock, LifecycleSteps.Queue, new DeliveryOptions().QueueName), CancellationToken.None);
        return new PlatformApp(app, key, folder, watch);
    }

    /// <summary>On the fake clock: waits until the lifecycle runner and the dispatcher have run everything due at the clock's time and recorded the results (every webhook due is in the sink).</summary>
    public Task RunDueAsync() =>
        (_watch ?? throw new InvalidOperationException("the platform was started on the system clock")).WaitUntilIdleAsync();

    /// <summary>
    /// On the fake clock: runs what is due, then moves the clock by <paramref name="step"/> and runs what is due again,
    /// until <paramref name="done"/>; returns how far the clock moved. A <paramref name="step"/> of zero never moves it (what
    /// is asked for must follow from what is due now).
    /// </summary>
    public async Task<TimeSpan> AdvanceUntilAsync(FakeTimeProvider clock, TimeSpan step, Func<bool> done, string what)
    {
        var moved = TimeSpan.Zero;
        await RunDueAsync();
        while (!done())
        {
            Assert.True(step > TimeSpan.Zero, $"everything due has run without {what}");
            Assert.True(moved < TimeSpan.FromHours(1), $"the clock moved an hour without {what}");
            clock.Advance(step);
            moved += step;
            await RunDueAsync();
        }

        return moved;
    }

    /// <summary>On the fake clock: moves it by <paramref name="span"/> in <paramref name="step"/>s, running what is due at each.</summary>
    public async Task AdvanceAsync(FakeTimeProvider clock, TimeSpan span, TimeSpan step)
    {
        await RunDueAsync();
        for (var moved = TimeSpan.Zero; moved < span; moved += step)
        {
            clock.Advance(step < span - moved ? step : span - moved);
            await RunDueAsync();
        }
    }

    /// <summary>Sends JSON (a string or bytes, sent as they are, or a node); returns the status and the parsed answer.</summary>
    public async Task<(int Status, JsonElement Body)> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = body is byte[] bytes
                ? new ByteArrayContent(bytes) { Headers = { ContentType = new("application/json") } }
                : new StringContent(body as string ?? ((JsonNode)body).ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public async Task<JsonElement> OkAsync(HttpMethod method, string path, object? body = null)
    {
        var (status, answer) = await SendAsync(method, path, body);
        Assert.True(status is >= 200 and < 300, $"{method} {path} answered {status}: {answer}");
        return answer.GetProperty("data");
    }

    public Task<JsonElement> PostAsync(string path, object body) => OkAsync(HttpMethod.Post, path, body);

    public Task<JsonElement> GetAsync(string path) => OkAsync(HttpMethod.Get, path);

    /// <summary>A messaging profile, and a number on it; returns (profile id, number).</summary>
    public async Task<(string ProfileId, string Number)> ProfileWithNumberAsync(string? webhookUrl, string? failoverUrl = null, string number = "+18445550001")
    {
        var profile = await PostAsync("/v2/messaging_profiles", new JsonObject
        {
            ["name"] = "test",
            ["whitelisted_destinations"] = new JsonArray("US"),
            ["webhook_url"] = webhookUrl,
            ["webhook_failover_url"] = failoverUrl,
        });
        var profileId = profile.GetProperty("id").GetString()!;
        await PostAsync("/v2/number_orders", new JsonObject
        {
            ["phone_numbers"] = new JsonArray(new JsonObject { ["phone_number"] = number }),
            ["messaging_profile_id"] = profileId,
        });
        return (profileId, number);
    }

    /// <summary>A Call Control application sending its webhooks to <paramref name="webhookUrl"/>, and a number on it; returns the application's id.</summary>
    public async Task<string> ApplicationWithNumberAsync(string webhookUrl, string number)
    {
        var application = (await PostAsync("/v2/call_control_applications",
            new JsonObject { ["application_name"] = "calls", ["webhook_event_url"] = webhookUrl })).GetProperty("id").GetString()!;
        await PostAsync("/v2/number_orders", new JsonObject
        {
            ["phone_numbers"] = new JsonArray(new JsonObject { ["phone_number"] = number }),
            ["connection_id"] = application,
        });
        return application;
    }

    /// <summary>Resources of a kind in the store's document set, read beside the running process (WAL readers never block it).</summary>
    public async Task<long> CountResourcesAsync(string kind)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Folder, PlatformHost.DatabaseFile)};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM work_documents WHERE kind = $kind";
        count.Parameters.AddWithValue("$kind", kind);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>How many command_ids are remembered (documents of kind <c>call_command</c>), read beside the running process.</summary>
    public async Task<long> CountCallCommandIdsAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Folder, PlatformHost.DatabaseFile)};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM work_documents WHERE kind = 'call_command'";
        return (long)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>The stored JSON body of one resource, read beside the running process.</summary>
    public async Task<string> ResourceBodyAsync(string kind, string id)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Folder, PlatformHost.DatabaseFile)};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var select = connection.CreateCommand();
        select.CommandText = "SELECT body FROM work_documents WHERE kind = $kind AND id = $id";
        select.Parameters.AddWithValue("$kind", kind);
        select.Parameters.AddWithValue("$id", id);
        return (string)(await select.ExecuteScalarAsync())!;
    }

    public async Task<long> CountDeliveriesAsync() =>
        (await SendAsync(HttpMethod.Get, "/v2/webhook_deliveries?page[size]=1")).Body.GetProperty("meta").GetProperty("total_results").GetInt64();

    /// <summary>The delivery record of one event once its status is <paramref name="status"/>.</summary>
    public async Task<JsonElement> DeliveryAsync(string eventId, string status)
    {
        JsonElement record = default;
        await Eventually.TrueAsync(async () =>
        {
            var (code, body) = await SendAsync(HttpMethod.Get, $"/v2/webhook_deliveries/{eventId}");
            record = code == 200 ? body.GetProperty("data") : default;
            return code == 200 && record.GetProperty("status").GetString() == status;
        }, $"the delivery of {eventId} to be {status}");
        return record;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _key.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(Folder, recursive: true);
    }
}
