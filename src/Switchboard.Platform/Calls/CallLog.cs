using Switchboard.DurableWork;
using Switchboard.Platform.Api;
using Switchboard.Platform.Storage;

namespace Switchboard.Platform.Calls;

/// <summary>
/// The calls as stored, for the dashboard's Calls page: Telnyx has no list of calls in its API, so this is no endpoint.
/// Ended calls stay until retention prunes them.
/// </summary>
public sealed class CallLog(IWorkStore store)
{
    /// <summary>The newest <paramref name="count"/> calls, newest first, and how many there are.</summary>
    public Task<(IReadOnlyList<StoredCall> Calls, long Total)> ListAsync(int count, CancellationToken cancellationToken = default) =>
        store.ReadAsync(async reader =>
        {
            var (items, total) = await Resources.ListAsync(reader, ResourceKinds.Call, 1, count);
            return ((IReadOnlyList<StoredCall>)[.. items.Select(i => CallControl.Deserialize(i.Body))], total);
        }, cancellationToken);

    public async Task<StoredCall> GetAsync(string callControlId, CancellationToken cancellationToken = default) =>
        await store.ReadAsync(reader => CallControl.FindAsync(reader, callControlId), cancellationToken) ?? throw ApiErrors.NotFound("call", callControlId);
}

/// <summary>Something the call heard: a speak's text, or a playback's audio URL or media name.</summary>
public sealed class CallPrompt
{
    /// <summary>How many prompts a call keeps, the newest: the call's record is saved at every change.</summary>
    public const int Kept = 10;

    /// <summary>How much of a prompt's text is kept (a speak takes 3,000 characters): enough to know it again.</summary>
    public const int KeptLength = 300;

    /// <summary>To the millisecond, so the record keeps its size as prompts come and go.</summary>
    [System.Text.Json.Serialization.JsonConverter(typeof(Events.UtcMillisecondsConverter))]
    public DateTimeOffset At { get; set; }

    /// <summary><c>speak</c> or <c>playback</c> (<see cref="ActiveMedia.Kind"/>).</summary>
    public required string Kind { get; set; }

    public required string Text { get; set; }

    /// <summary>Keeps what a speak or playback that starts now plays, dropping the oldest beyond <see cref="Kept"/>.</summary>
    public static void Add(StoredCall call, string kind, string? text, DateTimeOffset at)
    {
        if (text is null)
        {
            return;
        }

        call.Prompts.Add(new CallPrompt { At = at, Kind = kind, Text = text.Length > KeptLength ? text[..KeptLength] + "…" : text });
        while (call.Prompts.Count > Kept)
        {
            call.Prompts.RemoveAt(0);
        }
    }
}
