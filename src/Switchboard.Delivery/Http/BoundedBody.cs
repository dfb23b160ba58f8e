using System.Buffers;
using System.Net.Http;
using System.Text;

namespace Switchboard.Delivery.Http;

/// <summary>Reads the start of a response body for the attempt log, and not a byte more.</summary>
internal static class BoundedBody
{
    public static async ValueTask<string> ReadAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(maxBytes);
        try
        {
            int total = 0;
            Stream stream = await content.ReadAsStreamAsync(cancellationToken);
            await using (stream)
            {
                while (total < maxBytes)
                {
                    int read = await stream.ReadAsync(buffer.AsMemory(total, maxBytes - total), cancellationToken);
                    if (read == 0)
                    {
                        break;
                    }
                    total += read;
                }
            }
            int length = total == maxBytes ? WholeUtf8Prefix(buffer.AsSpan(0, total)) : total;
            return length == 0 ? string.Empty : Encoding.UTF8.GetString(buffer, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The length of <paramref name="bytes"/> without a UTF-8 sequence that the cut left incomplete at its end.</summary>
    internal static int WholeUtf8Prefix(ReadOnlySpan<byte> bytes)
    {
        for (int back = 1; back <= 3 && back <= bytes.Length; back++)
        {
            byte b = bytes[^back];
            if ((b & 0xC0) == 0x80)
            {
                continue; // a continuation byte: the sequence started further back
            }
            int sequenceLength = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return sequenceLength > back ? bytes.Length - back : bytes.Length;
        }
        return bytes.Length;
    }
}
