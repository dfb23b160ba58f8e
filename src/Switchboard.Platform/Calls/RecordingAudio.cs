using System.Buffers.Binary;

namespace Switchboard.Platform.Calls;

/// <summary>
/// A recording's audio, made up as it is sent (nothing is stored): a quiet tone as long as the recording, as 8 kHz
/// 16-bit PCM WAV (one channel, or two for <c>dual</c>), or as MP3 (MPEG-1 Layer III frames of silence, which players
/// play as silence of the right length).
/// </summary>
public static class RecordingAudio
{
    private const int SampleRate = 8000;
    private const int Mp3SampleRate = 44_100;
    private const int Mp3SamplesPerFrame = 1152;
    // 128 kbit/s at 44.1 kHz: 417 bytes per frame without padding.
    private const int Mp3FrameBytes = 417;

    public static long WavLength(long durationMs, int channels) => 44 + Samples(durationMs) * 2L * channels;

    public static async Task WriteWavAsync(Stream output, long durationMs, int channels, CancellationToken cancellationToken)
    {
        var samples = Samples(durationMs);
        var header = new byte[44];
        "RIFF"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), (uint)(36 + samples * 2 * channels));
        "WAVEfmt "u8.CopyTo(header.AsSpan(8));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), 16);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(20), 1); // PCM
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(22), (ushort)channels);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(24), SampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(28), (uint)(SampleRate * 2 * channels));
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(32), (ushort)(2 * channels));
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(34), 16);
        "data"u8.CopyTo(header.AsSpan(36));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(40), (uint)(samples * 2 * channels));
        await output.WriteAsync(header, cancellationToken);

        var chunk = new byte[SampleRate * 2 * channels];
        for (long written = 0; written < samples;)
        {
            var count = (int)Math.Min(SampleRate, samples - written);
            for (var i = 0; i < count; i++)
            {
                var t = (written + i) / (double)SampleRate;
                for (var c = 0; c < channels; c++)
                {
                    // 440 Hz on the first channel, 660 Hz on the second: quiet enough not to startle.
                    var sample = (short)(2000 * Math.Sin(2 * Math.PI * (c == 0 ? 440 : 660) * t));
                    BinaryPrimitives.WriteInt16LittleEndian(chunk.AsSpan(((i * channels) + c) * 2), sample);
                }
            }

            await output.WriteAsync(chunk.AsMemory(0, count * 2 * channels), cancellationToken);
            written += count;
        }
    }

    public static long Mp3Length(long durationMs) => Mp3Frames(durationMs) * Mp3FrameBytes;

    public static async Task WriteMp3Async(Stream output, long durationMs, CancellationToken cancellationToken)
    {
        // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding, joint stereo, no CRC; side information and main data all
        // zero: every granule decodes to silence.
        var frame = new byte[Mp3FrameBytes];
        frame[0] = 0xFF;
        frame[1] = 0xFB;
        frame[2] = 0x90;
        frame[3] = 0x64;
        var frames = Mp3Frames(durationMs);
        var batch = new byte[Mp3FrameBytes * 64];
        for (var i = 0; i < 64; i++)
        {
            frame.CopyTo(batch, i * Mp3FrameBytes);
        }

        for (long sent = 0; sent < frames;)
        {
            var count = (int)Math.Min(64, frames - sent);
            await output.WriteAsync(batch.AsMemory(0, count * Mp3FrameBytes), cancellationToken);
            sent += count;
        }
    }

    private static long Samples(long durationMs) => durationMs * SampleRate / 1000;

    private static long Mp3Frames(long durationMs) => Math.Max(1, (durationMs * Mp3SampleRate / 1000 + Mp3SamplesPerFrame - 1) / Mp3SamplesPerFrame);
}
