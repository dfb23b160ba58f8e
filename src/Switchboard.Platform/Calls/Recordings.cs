using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Switchboard.DurableWork;
using Switchboard.Platform.Api;
using Switchboard.Platform.Storage;

namespace Switchboard.Platform.Calls;

/// <summary>
/// Saved recordings: <c>GET /recordings</c>, <c>GET</c> and <c>DELETE /recordings/{id}</c> in Telnyx's shape, and their audio
/// (see <see cref="RecordingAudio"/>) behind the pre-signed links of <c>call.recording.saved</c> and <c>download_urls</c>.
/// The audio is made from the record, so deleting the record deletes the audio with it.
/// </summary>
public sealed class Recordings(IWorkStore store, RecordingLinks links)
{
    public const int MaxDeletedAtOnce = 250;

    /// <summary>Stores a recording that has just ended (its end is when it was made, and when it finished for retention).</summary>
    internal static void Save(WorkBatch batch, RecordingResource recording) =>
        Resources.Insert(batch, ResourceKinds.Recording, recording.Id, JsonSerializer.Serialize(recording, PlatformJson.Default.RecordingResource), recording.RecordingEndedAt,
            new ResourceColumns(Owner: recording.CallSessionId, FinishedAt: recording.RecordingEndedAt, StartedAt: recording.RecordingStartedAt));

    public async Task<RecordingRecord> GetAsync(string id, CancellationToken cancellationToken = default) =>
        await store.ReadAsync(reader => FindAsync(reader, id), cancellationToken) is { } recording
            ? ToRecord(recording)
            : throw ApiErrors.NotFound("recording", id);

    /// <summary>A page of recordings, newest first; a filter on what the emulator's recordings never have (a conference, a SIP call id) finds none.</summary>
    internal Task<(IReadOnlyList<RecordingRecord> Recordings, long Total)> ListAsync(int pageNumber, int pageSize, RecordingFilter filter, CancellationToken cancellationToken = default) =>
        store.ReadAsync(async reader =>
        {
            if (filter.OnlyConferenceOrSip)
            {
                return ((IReadOnlyList<RecordingRecord>)[], 0L);
            }

            var equals = new List<(string, string)>();
            foreach (var (property, value) in new[] { ("call_control_id", filter.CallControlId), ("call_leg_id", filter.CallLegId), ("connection_id", filter.ConnectionId), ("from", filter.From), ("to", filter.To) })
            {
                if (value is not null)
                {
                    equals.Add(ResourceFilter.Property(property, value));
                }
            }

            var (items, total) = await Resources.ListAsync(reader, ResourceKinds.Recording, pageNumber, pageSize, owner: filter.CallSessionId,
                filter: new ResourceFilter { BodyEquals = equals, Created = filter.Created, Started = filter.Started, Finished = filter.Ended });
            return ((IReadOnlyList<RecordingRecord>)[.. items.Select(i => ToRecord(Deserialize(i.Body)))], total);
        }, cancellationToken);

    /// <summary>Deletes a recording and so its audio: its links answer 404 from then on. Answers the record as it was.</summary>
    public Task<RecordingRecord> DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        Resources.PlanAsync(store, async (reader, batch) =>
        {
            var read = await Resources.GetAsync(reader, ResourceKinds.Recording, id) ?? throw ApiErrors.NotFound("recording", id);
            Resources.Delete(batch, ResourceKinds.Recording, read);
            return ToRecord(Deserialize(read.Body));
        }, cancellationToken);

    /// <summary>
    /// <c>POST /recordings/actions/delete</c>: deletes every recording of <c>ids</c>, or none: an id that does not exist
    /// answers 404 and nothing is deleted.
    /// </summary>
    public Task DeleteManyAsync(JsonBody body, CancellationToken cancellationToken = default)
    {
        if (!body.Has("ids") || body.IsNull("ids"))
        {
            body.Add(ApiErrors.Missing(body.Pointer("ids")));
        }

        var ids = body.Strings("ids", maxItems: MaxDeletedAtOnce, maxLength: 64);
        body.ThrowIfInvalid();
        return Resources.PlanAsync(store, async (reader, batch) =>
        {
            foreach (var id in ids!.Distinct())
            {
                var read = await Resources.GetAsync(reader, ResourceKinds.Recording, id) ?? throw ApiErrors.NotFound("recording", id);
                Resources.Delete(batch, ResourceKinds.Recording, read);
            }

            return 0;
        }, cancellationToken);
    }

    private static async ValueTask<RecordingResource?> FindAsync(IWorkReader reader, string id) =>
        await Resources.GetAsync(reader, ResourceKinds.Recording, id) is { } stored ? Deserialize(stored.Body) : null;

    private static RecordingResource Deserialize(string json) =>
        JsonSerializer.Deserialize(json, PlatformJson.Default.RecordingResource) ?? throw new InvalidDataException("a stored recording is empty");

    private RecordingRecord ToRecord(RecordingResource recording) => new()
    {
        Id = recording.Id,
        CallControlId = recording.CallControlId,
        CallLegId = recording.CallLegId,
        CallSessionId = recording.CallSessionId,
        ConnectionId = recording.ConnectionId,
        From = recording.From,
        To = recording.To,
        Channels = recording.Channels,
        DurationMillis = recording.DurationMs,
        RecordingStartedAt = recording.RecordingStartedAt,
        RecordingEndedAt = recording.RecordingEndedAt,
        DownloadUrls = new RecordingDownloadUrls(links.For(recording.Id, "wav"), recording.Format == "mp3" ? links.For(recording.Id, "mp3") : null),
    };

    /// <summary>
    /// The audio of <c>{id}.wav</c> or <c>{id}.mp3</c> (the latter only for a recording made as MP3); null if there is
    /// none. ASP.NET Core's file result answers a single byte range (206 with <c>Content-Range</c>, 416 past the end)
    /// and says <c>Accept-Ranges: bytes</c>, as browsers' audio players and download managers expect.
    /// </summary>
    public async Task<IResult?> AudioAsync(string file, CancellationToken cancellationToken)
    {
        var extension = Path.GetExtension(file);
        var id = Path.GetFileNameWithoutExtension(file);
        var recording = await store.ReadAsync(reader => FindAsync(reader, id), cancellationToken);
        return (recording, extension) switch
        {
            ({ } wav, ".wav") => Audio(wav, RecordingAudio.Wav(wav.DurationMs, wav.Channels == "dual" ? 2 : 1), "audio/wav"),
            ({ Format: "mp3" } mp3, ".mp3") => Audio(mp3, RecordingAudio.Mp3(mp3.DurationMs), "audio/mpeg"),
            _ => null,
        };
    }

    private static IResult Audio(RecordingResource recording, Stream audio, string contentType) =>
        Results.Stream(audio, contentType, lastModified: recording.RecordingEndedAt, enableRangeProcessing: true);
}

/// <summary>A recording as <c>/recordings</c> answers it (<c>RecordingResponseData</c>); the links are signed afresh on each read.</summary>
public sealed record RecordingRecord
{
    public required string Id { get; init; }
    public string RecordType => "recording";
    public required string CallControlId { get; init; }
    public required string CallLegId { get; init; }
    public required string CallSessionId { get; init; }
    public required string ConnectionId { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? From { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? To { get; init; }
    public required string Channels { get; init; }
    public required long DurationMillis { get; init; }
    public required DateTimeOffset RecordingStartedAt { get; init; }
    public required DateTimeOffset RecordingEndedAt { get; init; }
    public required RecordingDownloadUrls DownloadUrls { get; init; }
    public string Source => "call";
    public string Status => "completed";
    public DateTimeOffset CreatedAt => RecordingEndedAt;
    public DateTimeOffset UpdatedAt => RecordingEndedAt;
}

public sealed record RecordingDownloadUrls(string Wav, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Mp3);

/// <summary>
/// The <c>filter[...]</c> of <c>GET /recordings</c>; time ranges with both ends included. <see cref="OnlyConferenceOrSip"/>:
/// a filter on a conference or a SIP call id, which the emulator's recordings never have.
/// </summary>
internal sealed record RecordingFilter
{
    public string? CallControlId { get; init; }
    public string? CallLegId { get; init; }
    public string? CallSessionId { get; init; }
    public string? ConnectionId { get; init; }
    public string? From { get; init; }
    public string? To { get; init; }
    public bool OnlyConferenceOrSip { get; init; }
    public TimeRange Created { get; init; }
    public TimeRange Started { get; init; }
    public TimeRange Ended { get; init; }
}

/// <summary>The answer of <c>POST /recordings/actions/delete</c>: <c>{"status": "ok"}</c>, no <c>data</c>.</summary>
public sealed record StatusResult(string Status);
