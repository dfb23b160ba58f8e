using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchboard.DurableWork;
using Switchboard.Platform.Api;
using Switchboard.Platform.Storage;

namespace Switchboard.Platform.Calls;

/// <summary>Saved recordings' audio (see <see cref="RecordingAudio"/>), for the pre-signed links of <c>call.recording.saved</c>.</summary>
public sealed class Recordings(IWorkStore store)
{
    /// <summary>The audio of <c>{id}.wav</c> or <c>{id}.mp3</c> (the latter only for a recording made as MP3); null if there is none.</summary>
    public async Task<IResult?> AudioAsync(string file, CancellationToken cancellationToken)
    {
        var extension = Path.GetExtension(file);
        var id = Path.GetFileNameWithoutExtension(file);
        var recording = await store.ReadAsync(async reader => await Resources.GetAsync(reader, ResourceKinds.Recording, id) is { } stored
            ? JsonSerializer.Deserialize(stored.Body, PlatformJson.Default.RecordingResource)
            : null, cancellationToken);
        return (recording, extension) switch
        {
            ({ } wav, ".wav") => new AudioResult("audio/wav", RecordingAudio.WavLength(wav.DurationMs, Channels(wav)),
                (stream, ct) => RecordingAudio.WriteWavAsync(stream, wav.DurationMs, Channels(wav), ct)),
            ({ Format: "mp3" } mp3, ".mp3") => new AudioResult("audio/mpeg", RecordingAudio.Mp3Length(mp3.DurationMs),
                (stream, ct) => RecordingAudio.WriteMp3Async(stream, mp3.DurationMs, ct)),
            _ => null,
        };
    }

    private static int Channels(RecordingResource recording) => recording.Channels == "dual" ? 2 : 1;

    private sealed class AudioResult(string contentType, long length, Func<Stream, CancellationToken, Task> write) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = contentType;
            httpContext.Response.ContentLength = length;
            return write(httpContext.Response.Body, httpContext.RequestAborted);
        }
    }
}
