using System.Buffers;

namespace Switchboard.Receiver.Ingest;

/// <summary>
/// A request body read into an array rented from the shared pool, and the one owner of that array. Growing swaps
/// the array under the owner before the smaller one goes back to the pool, and <see cref="Dispose"/> returns
/// whichever array the owner holds, once: however a read ends (the client aborts mid-body, a timeout), no array is
/// returned twice, so no two requests can ever share one.
/// </summary>
internal sealed class PooledBody : IDisposable
{
    private byte[]? _buffer;
    private int _length;

    public PooledBody(int initialCapacity) => _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);

    /// <summary>The bytes read so far. Valid until <see cref="Dispose"/>: whoever keeps the body copies it first.</summary>
    public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, _length);

    public int Length => _length;

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(PooledBody));

    /// <summary>Reads <paramref name="body"/> to its end, or stops one byte past <paramref name="limit"/> (check <see cref="Length"/>).</summary>
    public async Task ReadAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        while (true)
        {
            var capacity = Math.Min(Buffer.Length, limit + 1);
            if (_length == capacity)
            {
                if (_length > limit)
                {
                    return;
                }

                Grow(Math.Min(Buffer.Length * 2, limit + 1));
                capacity = Math.Min(Buffer.Length, limit + 1);
            }

            var read = await body.ReadAsync(Buffer.AsMemory(_length, capacity - _length), cancellationToken);
            if (read == 0)
            {
                return;
            }

            _length += read;
        }
    }

    private void Grow(int size)
    {
        var smaller = Buffer;
        var larger = ArrayPool<byte>.Shared.Rent(size);
        smaller.AsSpan(0, _length).CopyTo(larger);
        _buffer = larger;
        ArrayPool<byte>.Shared.Return(smaller);
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
