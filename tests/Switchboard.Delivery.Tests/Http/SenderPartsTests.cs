using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using CsCheck;
using Switchboard.Delivery.Http;

namespace Switchboard.Delivery.Tests.Http;

/// <summary>The small pieces of the sender on their own: UTF-8 cut, header cap, failure classification.</summary>
public sealed class SenderPartsTests
{
    [Fact]
    public void A_utf8_cut_never_leaves_a_partial_character_and_never_drops_a_whole_one()
    {
        Gen.String.Select(Gen.Int[0, 64]).Sample((text, cutAt) =>
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            int cut = Math.Min(cutAt, bytes.Length);
            int kept = BoundedBody.WholeUtf8Prefix(bytes.AsSpan(0, cut));
            string decoded = Encoding.UTF8.GetString(bytes, 0, kept);
            return text.StartsWith(decoded, StringComparison.Ordinal) && cut - kept <= 3
                && Encoding.UTF8.GetByteCount(decoded) == kept;
        });
    }

    [Fact]
    public void Header_text_is_capped_at_10_kB_and_the_crossing_value_is_cut()
    {
        var log = new HeaderLog(0);
        for (int i = 0; i < 20; i++)
        {
            log.Add($"X-{i:D2}", new string('v', 1000));
        }

        IReadOnlyList<KeyValuePair<string, string>> headers = log.ToList();
        int text = headers.Sum(h => h.Key.Length + h.Value.Length + 4);
        Assert.Equal(HeaderLog.MaxChars, text);
        Assert.Equal(11, headers.Count);
        Assert.True(headers[^1].Value.Length < 1000);
        Assert.All(headers.SkipLast(1), h => Assert.Equal(1000, h.Value.Length));
    }

    public static TheoryData<Exception, SendErrorKind> Failures => new()
    {
        { new HttpRequestException(HttpRequestError.ConnectionError, "x", new SocketException((int)SocketError.ConnectionRefused)), SendErrorKind.ConnectionRefused },
        { new HttpRequestException(HttpRequestError.NameResolutionError, "x", new SocketException((int)SocketError.HostNotFound)), SendErrorKind.Dns },
        { new HttpRequestException(HttpRequestError.SecureConnectionError, "x", new AuthenticationException("untrusted")), SendErrorKind.Tls },
        { new HttpRequestException(HttpRequestError.Unknown, "x", new IOException("x", new SocketException((int)SocketError.ConnectionReset))), SendErrorKind.Reset },
        { new HttpIOException(HttpRequestError.ResponseEnded, "ended"), SendErrorKind.Reset },
        { new HttpRequestException(HttpRequestError.ResponseEnded, "ended"), SendErrorKind.Reset },
        { new HttpRequestException(HttpRequestError.ConnectionError, "x", new SsrfBlockedException("h", System.Net.IPAddress.Loopback)), SendErrorKind.SsrfBlocked },
        { new HttpRequestException(HttpRequestError.ConnectionError, "x", new SocketException((int)SocketError.TimedOut)), SendErrorKind.Timeout },
        { new HttpRequestException(HttpRequestError.InvalidResponse, "garbage"), SendErrorKind.Other },
        { new HttpRequestException(HttpRequestError.ConnectionError, "x", new SocketException((int)SocketError.NetworkUnreachable)), SendErrorKind.Other },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Failures_are_classified(Exception exception, SendErrorKind expected)
    {
        (SendErrorKind kind, string detail) = SendFailures.Classify(exception);

        Assert.Equal(expected, kind);
        Assert.False(string.IsNullOrWhiteSpace(detail));
    }
}
