namespace Switchboard.Delivery.Http;

/// <summary>
/// Sends one signed request of one attempt to one URL and reports what happened. Never throws for
/// anything the remote end does (refusal, timeout, reset, huge body): those are outcomes.
/// </summary>
public interface IWebhookSender
{
    Task<SendOutcome> SendAsync(SendRequest request, CancellationToken cancellationToken);
}

/// <summary>The exact bytes and headers to POST. The body is already serialised and signed for this request.</summary>
/// <param name="Url">Where to POST.</param>
/// <param name="Body">The exact bytes that were signed.</param>
/// <param name="Headers">Headers to add, such as the signature. The sender writes <c>Content-Type</c>, <c>Content-Length</c>, <c>User-Agent</c> and <c>Host</c> itself and ignores those here.</param>
public sealed record SendRequest(Uri Url, ReadOnlyMemory<byte> Body, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>This request's timeout instead of the sender's (a Call Control application's <c>webhook_timeout_secs</c>).</summary>
    public TimeSpan? Timeout { get; init; }
}

/// <summary>Why a request did not get a 2xx. <see cref="None"/> means it did.</summary>
public enum SendErrorKind
{
    None = 0,
    /// <summary>An HTTP answer that is not 2xx (3xx included: redirects are never followed).</summary>
    HttpStatus,
    Timeout,
    ConnectionRefused,
    Dns,
    Tls,
    /// <summary>The connection was reset or closed mid-request or mid-response.</summary>
    Reset,
    /// <summary>The URL resolved to an address the SSRF policy refuses (loopback, private, link-local, ...).</summary>
    SsrfBlocked,
    /// <summary>Not an absolute http(s) URL.</summary>
    InvalidUrl,
    Other,
}

/// <summary>What one request did: everything the attempt log records.</summary>
public sealed record SendOutcome
{
    public required Uri Url { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset FinishedAt { get; init; }
    public required IReadOnlyList<KeyValuePair<string, string>> RequestHeaders { get; init; }
    public int? StatusCode { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> ResponseHeaders { get; init; } = [];
    /// <summary>The response body, at most <see cref="MaxLoggedBodyBytes"/> bytes of it (as UTF-8 text).</summary>
    public string? ResponseBody { get; init; }
    public SendErrorKind Error { get; init; }
    public string? ErrorDetail { get; init; }
    /// <summary>The delay a 429/503 asked for in <c>Retry-After</c>, if any.</summary>
    public TimeSpan? RetryAfter { get; init; }

    public bool Succeeded => Error == SendErrorKind.None && StatusCode is >= 200 and < 300;

    public const int MaxLoggedBodyBytes = 10 * 1024;
}
