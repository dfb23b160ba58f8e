using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchboard.DurableWork;
using Switchboard.Platform.Api;
using Switchboard.Platform.Storage;

namespace Switchboard.Platform.Calls;

/// <summary>Saved recordings' audio (see <see cref="RecordingAudio"/>), for the pre-signed links of <c>call.recording.saved</c>.</summary>
public sealed class Recordings(IWorkStore store)
{
    /// <summary>
    /// The audio of <c>{id}.wav</c> or <c>{id}.mp3</c> (the latter only for a recording made as MP3); null if there is
    /// none. ASP.NET Core's file result answers a single byte range (206 with <c>Content-Range</c>, 416 past the end)
    /// and says <c>Accept-Ranges: bytes</c>, as browsers' audio players and download managers expect.
    /// </summary>
    public async Task<IResult?> AudioAsync(string file, CancellationToken cancellationToken)
    {
        var extension = Path.GetExtension(file);
        var id = Path.GetFileNameWithoutExtension(file);
        var recording = await store.ReadAsync(async reader => await Resources.GetAsync(reader, ResourceKinds.Recording, id) is { } stored
            ? JsonSerializer.Deserialize(stored.Body, PlatformJson.Default.RecordingResource)
            : null, cancellationToken);
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
