using System.Buffers.Binary;

namespace Switchboard.Platform.Calls;

/// <summary>
/// A recording's audio, made up as it is read (nothing is stored): a quiet tone as long as the recording, as 8 kHz
/// 16-bit PCM WAV (one channel, or two for <c>dual</c>), or as MP3 (MPEG-1 Layer III frames of silence, which players
/// play as silence of the right length). Each is a header and a pattern repeated to the length, so any byte range is
/// read at once (a range request, or a player seeking) without making what comes before it.
/// </summary>
public static class RecordingAudio
{
    private const int SampleRate = 8000;
    private const int Mp3SampleRate = 44_100;
    private const int Mp3SamplesPerFrame = 1152;
    // 128 kbit/s at 44.1 kHz: 417 bytes per frame without padding.
    private const int Mp3FrameBytes = 417;

    private static readonly byte[] Mp3Frame = SilentMp3Frame();

    /// <summary>The WAV of a recording of <paramref name="durationMs"/>, as a read-only seekable stream.</summary>
    public static Stream Wav(long durationMs, int channels)
    {
        var samples = durationMs * SampleRate / 1000;
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

        // Whole-hertz tones repeat every second: one second of samples is the pattern.
        var second = new byte[SampleRate * 2 * channels];
        for (var i = 0; i < SampleRate; i++)
        {
            var t = i / (double)SampleRate;
            for (var c = 0; c < channels; c++)
            {
                // 440 Hz on the first channel, 660 Hz on the second: quiet enough not to startle.
                var sample = (short)(2000 * Math.Sin(2 * Math.PI * (c == 0 ? 440 : 660) * t));
                BinaryPrimitives.WriteInt16LittleEndian(second.AsSpan(((i * channels) + c) * 2), sample);
            }
        }

        return new RepeatingStream(header, second, header.Length + samples * 2 * channels);
    }

    /// <summary>The MP3 of a recording of <paramref name="durationMs"/>, as a read-only seekable stream.</summary>
    public static Stream Mp3(long durationMs)
    {
        var frames = Math.Max(1, (durationMs * Mp3SampleRate / 1000 + Mp3SamplesPerFrame - 1) / Mp3SamplesPerFrame);
        return new RepeatingStream([], Mp3Frame, frames * Mp3FrameBytes);
    }

    private static byte[] SilentMp3Frame()
    {
        // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding, joint stereo, no CRC; side information and main data all
        // zero: every granule decodes to silence.
        var frame = new byte[Mp3FrameBytes];
        frame[0] = 0xFF;
        frame[1] = 0xFB;
        frame[2] = 0x90;
        frame[3] = 0x64;
        return frame;
    }

    /// <summary><paramref name="header"/>, then <paramref name="pattern"/> over and over, up to <paramref name="length"/> bytes.</summary>
    private sealed class RepeatingStream(byte[] header, byte[] pattern, long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
        }

        public override int Read(Span<byte> buffer)
        {
            var count = (int)Math.Clamp(length - _position, 0, buffer.Length);
            for (var written = 0; written < count;)
            {
                var (source, offset) = _position < header.Length
                    ? (header, (int)_position)
                    : (pattern, (int)((_position - header.Length) % pattern.Length));
                var part = Math.Min(source.Length - offset, count - written);
                source.AsSpan(offset, part).CopyTo(buffer[written..]);
                written += part;
                _position += part;
            }

            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<int>(cancellationToken) : ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
