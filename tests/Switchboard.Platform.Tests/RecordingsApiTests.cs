using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Platform.Tests.Support;

namespace Switchboard.Platform.Tests;

/// <summary>
/// <c>/v2/recordings</c>: a call's saved recordings listed, read and deleted in the spec's shape, their links working
/// without the API key until deleted. On SQLite here, on PostgreSQL by <see cref="PostgresRecordingsApiTests"/>.
/// </summary>
public abstract class RecordingsApiScenarios : IAsyncLifetime
{
    private const string Number = "+18445550001";
    private WebhookSink _sink = null!;
    private PlatformApp _platform = null!;
    private string _application = "";
    private static readonly TimeSpan LifecycleDelay = TimeSpan.FromMilliseconds(50);
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    /// <summary>The platform's options beyond the test's (the database).</summary>
    protected abstract Task<Action<PlatformOptions>> StoreAsync();

    public async Task InitializeAsync()
    {
        _sink = await WebhookSink.StartAsync();
        var store = await StoreAsync();
        _platform = await PlatformApp.StartAsync(options =>
        {
            store(options);
            options.LifecycleDelay = LifecycleDelay;
        }, _clock);
        _application = await _platform.ApplicationWithNumberAsync(_sink.Url("/calls"), Number);
    }

    public async Task DisposeAsync()
    {
        await _platform.DisposeAsync();
        await _sink.DisposeAsync();
    }

    /// <summary>Dials <paramref name="to"/>, records once answered, hangs up; returns the call and its <c>call.recording.saved</c> payload.</summary>
    private async Task<(JsonElement Call, JsonElement Saved)> RecordedCallAsync(string to, string format)
    {
        var call = await _platform.PostAsync("/v2/calls", new JsonObject { ["connection_id"] = _application, ["from"] = Number, ["to"] = to });
        var id = Uri.EscapeDataString(call.GetProperty("call_control_id").GetString()!);
        var session = call.GetProperty("call_session_id").GetString();
        await _platform.AdvanceUntilAsync(_clock, LifecycleDelay, () => _sink.Received.Any(r => r.CallSessionId == session && r.EventType == "call.answered"), "the call to be answered");
        await _platform.PostAsync($"/v2/calls/{id}/actions/record_start", new JsonObject { ["format"] = format, ["channels"] = "single" });
        await _platform.PostAsync($"/v2/calls/{id}/actions/hangup", new JsonObject());
        SinkRequest? Saved() => _sink.Received.FirstOrDefault(r => r.CallSessionId == session && r.EventType == "call.recording.saved");
        await _platform.AdvanceUntilAsync(_clock, LifecycleDelay, () => Saved() is not null, "call.recording.saved");
        return (call, Saved()!.Payload);
    }

    private async Task<string[]> IdsAsync(string query)
    {
        var (status, body) = await _platform.SendAsync(HttpMethod.Get, "/v2/recordings" + query);
        Assert.True(status == 200, $"GET /v2/recordings{query} answered {status}: {body}");
        return [.. body.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("id").GetString()!)];
    }

    [Fact]
    public async Task Recordings_are_listed_with_the_specs_filters_read_and_deleted_with_their_audio()
    {
        var (firstCall, firstSaved) = await RecordedCallAsync("+13125550199", "mp3");
        var (secondCall, _) = await RecordedCallAsync("+13125550198", "wav");
        var all = (await _platform.SendAsync(HttpMethod.Get, "/v2/recordings")).Body;
        Assert.Equal(2, all.GetProperty("meta").GetProperty("total_results").GetInt32());
        var second = all.GetProperty("data")[0];
        var first = all.GetProperty("data")[1];

        Assert.Equal(("recording", "completed", "call", "single", Number, "+13125550199", _application),
            (first.GetProperty("record_type").GetString(), first.GetProperty("status").GetString(), first.GetProperty("source").GetString(),
                first.GetProperty("channels").GetString(), first.GetProperty("from").GetString(), first.GetProperty("to").GetString(), first.GetProperty("connection_id").GetString()));
        Assert.Equal(firstCall.GetProperty("call_control_id").GetString(), first.GetProperty("call_control_id").GetString());
        Assert.Equal(firstSaved.GetProperty("recording_started_at").GetDateTimeOffset(), first.GetProperty("recording_started_at").GetDateTimeOffset());
        Assert.True(first.GetProperty("duration_millis").GetInt64() >= 0);
        Assert.False(second.GetProperty("download_urls").TryGetProperty("mp3", out _));

        var firstId = first.GetProperty("id").GetString()!;
        var secondId = second.GetProperty("id").GetString()!;
        Assert.Equal([firstId], await IdsAsync($"?filter[call_control_id]={Uri.EscapeDataString(firstCall.GetProperty("call_control_id").GetString()!)}"));
        Assert.Equal([secondId], await IdsAsync($"?filter[call_session_id]={secondCall.GetProperty("call_session_id").GetString()}"));
        Assert.Equal([secondId], await IdsAsync($"?filter[to]={Uri.EscapeDataString("+13125550198")}"));
        Assert.Equal([secondId, firstId], await IdsAsync($"?filter[from]={Uri.EscapeDataString(Number)}&filter[connection_id]={_application}"));
        Assert.Empty(await IdsAsync("?filter[conference_id]=abc"));
        var secondStart = Uri.EscapeDataString(second.GetProperty("recording_started_at").GetDateTimeOffset().ToString("O"));
        Assert.Equal([secondId], await IdsAsync($"?filter[start_time][gte]={secondStart}"));
        Assert.Equal([firstId], await IdsAsync($"?filter[end_time][lte]={Uri.EscapeDataString(first.GetProperty("recording_ended_at").GetDateTimeOffset().ToString("O"))}"));
        Assert.Equal([firstId], await IdsAsync($"?filter[created_at][lte]={Uri.EscapeDataString(first.GetProperty("created_at").GetDateTimeOffset().ToString("O"))}"));
        Assert.Equal(422, (await _platform.SendAsync(HttpMethod.Get, "/v2/recordings?filter[start_time][gte]=soon")).Status);

        var read = await _platform.GetAsync($"/v2/recordings/{firstId}");
        Assert.Equal(firstId, read.GetProperty("id").GetString());
        using var anonymous = new HttpClient();
        var wav = read.GetProperty("download_urls").GetProperty("wav").GetString()!;
        var mp3 = read.GetProperty("download_urls").GetProperty("mp3").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(wav)).StatusCode);

        var deleted = await _platform.OkAsync(HttpMethod.Delete, $"/v2/recordings/{firstId}");
        Assert.Equal(firstId, deleted.GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(wav)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(mp3)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(firstSaved.GetProperty("recording_urls").GetProperty("wav").GetString())).StatusCode);
        var (gone, goneBody) = await _platform.SendAsync(HttpMethod.Get, $"/v2/recordings/{firstId}");
        Assert.Equal((404, "10005"), (gone, goneBody.GetProperty("errors")[0].GetProperty("code").GetString()));
        Assert.Equal(404, (await _platform.SendAsync(HttpMethod.Delete, $"/v2/recordings/{firstId}")).Status);
        Assert.Equal([secondId], await IdsAsync(""));

        // Deleting several: all of them, or (one id unknown) none.
        var (unknown, unknownBody) = await _platform.SendAsync(HttpMethod.Post, "/v2/recordings/actions/delete", new JsonObject { ["ids"] = new JsonArray(secondId, firstId) });
        Assert.Equal((404, "10005"), (unknown, unknownBody.GetProperty("errors")[0].GetProperty("code").GetString()));
        Assert.Equal([secondId], await IdsAsync(""));
        Assert.Equal(422, (await _platform.SendAsync(HttpMethod.Post, "/v2/recordings/actions/delete", new JsonObject())).Status);
        var (ok, okBody) = await _platform.SendAsync(HttpMethod.Post, "/v2/recordings/actions/delete", new JsonObject { ["ids"] = new JsonArray(secondId) });
        Assert.Equal((200, "ok"), (ok, okBody.GetProperty("status").GetString()));
        Assert.Empty(await IdsAsync(""));
    }
}

public sealed class RecordingsApiTests : RecordingsApiScenarios
{
    protected override Task<Action<PlatformOptions>> StoreAsync() => Task.FromResult<Action<PlatformOptions>>(_ => { });
}

[Collection(PostgresServer.Collection)]
public sealed class PostgresRecordingsApiTests(PostgresServer server) : RecordingsApiScenarios
{
    protected override async Task<Action<PlatformOptions>> StoreAsync()
    {
        var database = await server.CreateDatabaseAsync();
        return options => options.PostgresConnectionString = database.ConnectionString;
    }
}
