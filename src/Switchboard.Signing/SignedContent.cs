using System.Buffers;
using System.Text;

namespace Switchboard.Signing;

/// <summary>
/// The exact bytes a scheme signs: one or two header values, each followed by a separator, then the raw body.
/// Built in a pooled buffer so verification allocates nothing per call.
/// </summary>
internal ref struct SignedContent
{
    private byte[]? _rented;

    public ReadOnlySpan<byte> Bytes { get; private set; }

    /// <summary><c>{first}{separator}{body}</c>: Telnyx Ed25519 (<c>|</c>) and the seed HMAC scheme (<c>.</c>).</summary>
    public static SignedContent Create(string first, byte separator, ReadOnlySpan<byte> body) =>
        Create(first, separator, null, 0, body);

    /// <summary><c>{first}{separator}{second}{separator}{body}</c>: Standard Webhooks (<c>{id}.{timestamp}.{body}</c>).</summary>
    public static SignedContent Create(string first, byte separator, string? second, byte secondSeparator, ReadOnlySpan<byte> body)
    {
        var length = Encoding.UTF8.GetByteCount(first) + 1 + body.Length
            + (second is null ? 0 : Encoding.UTF8.GetByteCount(second) + 1);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        var span = rented.AsSpan(0, length);
        var at = Encoding.UTF8.GetBytes(first, span);
        span[at++] = separator;
        if (second is not null)
        {
            at += Encoding.UTF8.GetBytes(second, span[at..]);
            span[at++] = secondSeparator;
        }

        body.CopyTo(span[at..]);
        return new SignedContent { _rented = rented, Bytes = span };
    }

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
            _rented = null;
            Bytes = default;
        }
    }
}
