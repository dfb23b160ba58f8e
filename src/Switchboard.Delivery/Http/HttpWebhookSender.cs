using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using Switchboard.Events;

namespace Switchboard.Delivery.Http;

/// <summary>
/// Sends webhook requests over one long-lived, pooled <see cref="SocketsHttpHandler"/>: POST only, redirects
/// never followed, no cookies, no proxy, a per-request timeout, at most 10 kB of each response read, and every
/// connection checked by <see cref="SsrfPolicy"/>. Create one per process and share it; it is thread-safe.
/// Dispose it to close its connections.
/// </summary>
public sealed class HttpWebhookSender : IWebhookSender, IDisposable
{
    private const string JsonContentType = "application/json";
    // A leftover this small is read to keep the connection for the next request; anything bigger closes it.
    private const int DrainLimitBytes = 16 * 1024;

    private readonly HttpMessageInvoker _invoker;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly string _timeoutDetail;
    private readonly SenderMetrics _metrics;

    /// <param name="options">Defaults when null (2 s timeout, private networks refused).</param>
    /// <param name="timeProvider">Start and finish times, the timeout and Retry-After dates; the system clock when null.</param>
    /// <param name="meterFactory">Where the <see cref="DeliveryMeter.Name"/> meter comes from; a meter of its own when null.</param>
    public HttpWebhookSender(HttpWebhookSenderOptions? options = null, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null)
        : this(options ?? new HttpWebhookSenderOptions(), timeProvider ?? TimeProvider.System, meterFactory, GuardedConnector.SystemResolver)
    {
    }

    internal HttpWebhookSender(
        HttpWebhookSenderOptions options,
        TimeProvider timeProvider,
        IMeterFactory? meterFactory,
        Func<string, CancellationToken, Task<IPAddress[]>> resolveHost)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        options.Validate();
        _time = timeProvider;
        _timeout = options.Timeout;
        _timeoutDetail = $"no complete answer within {(long)_timeout.TotalMilliseconds} ms";
        var connector = new GuardedConnector(options.AllowPrivateNetworks, resolveHost);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = options.PooledConnectionLifetime,
            PooledConnectionIdleTimeout = options.PooledConnectionIdleTimeout,
            MaxConnectionsPerServer = options.MaxConnectionsPerServer,
            ConnectTimeout = options.Timeout,
            ConnectCallback = connector.ConnectAsync,
            MaxResponseDrainSize = DrainLimitBytes,
            ResponseDrainTimeout = options.Timeout,
            // Trace context is ours, not the customer's business: send exactly the headers we log.
            ActivityHeadersPropagator = null,
        };
        _invoker = new HttpMessageInvoker(handler, disposeHandler: true);
        _metrics = new SenderMetrics(meterFactory);
    }

    internal Meter Meter => _metrics.Meter;

    public async Task<SendOutcome> SendAsync(SendRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        DateTimeOffset startedAt = _time.GetUtcNow();
        long startTimestamp = _time.GetTimestamp();

        if (!SsrfPolicy.IsSupportedUrl(request.Url, out string? urlProblem))
        {
            return Finish(request.Url, startedAt, startTimestamp, [], new Answer { Error = SendErrorKind.InvalidUrl, Detail = urlProblem });
        }

        var requestLog = new HeaderLog(request.Headers.Count + 3);
        using var message = new HttpRequestMessage(HttpMethod.Post, request.Url)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Content = new ReadOnlyMemoryContent(request.Body),
        };
        message.Content.Headers.TryAddWithoutValidation("Content-Type", JsonContentType);
        requestLog.Add("Content-Type", JsonContentType);
        requestLog.Add("Content-Length", request.Body.Length.ToString(CultureInfo.InvariantCulture));
        message.Headers.TryAddWithoutValidation("User-Agent", ProductInfo.UserAgent);
        requestLog.Add("User-Agent", ProductInfo.UserAgent);
        IReadOnlyList<KeyValuePair<string, string>> headers = request.Headers;
        for (int i = 0; i < headers.Count; i++)
        {
            (string name, string value) = headers[i];
            // The sender's own headers are written once, by the sender: a caller's copy would add a second value.
            if (!IsSendersOwn(name) && message.Headers.TryAddWithoutValidation(name, value))
            {
                requestLog.Add(name, value);
            }
        }

        Answer answer = await ExchangeAsync(message, request.Timeout is { } own ? Clamp(own) : _timeout, cancellationToken);
        return Finish(request.Url, startedAt, startTimestamp, requestLog.ToList(), answer);
    }

    private static bool IsSendersOwn(string name) =>
        name.Equals("User-Agent", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Host", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase);

    private static TimeSpan Clamp(TimeSpan timeout) =>
        timeout < HttpWebhookSenderOptions.MinTimeout ? HttpWebhookSenderOptions.MinTimeout
        : timeout > HttpWebhookSenderOptions.MaxTimeout ? HttpWebhookSenderOptions.MaxTimeout
        : timeout;

    private async Task<Answer> ExchangeAsync(HttpRequestMessage message, TimeSpan timeoutAfter, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(timeoutAfter, _time);
        using CancellationTokenRegistration callerCancellation =
            cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), timeout);
        var answer = new Answer();
        HttpResponseMessage? response = null;
        try
        {
            response = await _invoker.SendAsync(message, timeout.Token);
            int status = (int)response.StatusCode;
            answer.StatusCode = status;
            answer.ResponseHeaders = LogResponseHeaders(response);
            if (status is 429 or 503 && response.Headers.NonValidated.TryGetValues("Retry-After", out HeaderStringValues retryAfter))
            {
                answer.RetryAfter = RetryAfterPolicy.Parse(retryAfter.ToString(), _time.GetUtcNow());
            }
            if (status is < 200 or > 299)
            {
                answer.Error = SendErrorKind.HttpStatus;
                answer.Detail = DescribeStatus(response);
            }
            answer.ResponseBody = await BoundedBody.ReadAsync(response.Content, SendOutcome.MaxLoggedBodyBytes, timeout.Token);
        }
        catch (Exception e)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("The caller cancelled the webhook request.", e, cancellationToken);
            }
            // A non-2xx status stays the reason. A 2xx whose body then broke off is not a success: the answer was incomplete.
            if (answer.Error == SendErrorKind.None)
            {
                (answer.Error, answer.Detail) = timeout.IsCancellationRequested
                    ? (SendErrorKind.Timeout, timeoutAfter == _timeout ? _timeoutDetail : $"no complete answer within {(long)timeoutAfter.TotalMilliseconds} ms")
                    : SendFailures.Classify(e);
            }
        }
        finally
        {
            // More than DrainLimitBytes left unread: disposing closes the connection instead of draining the rest.
            response?.Dispose();
        }
        return answer;
    }

    private SendOutcome Finish(Uri url, DateTimeOffset startedAt, long startTimestamp,
        IReadOnlyList<KeyValuePair<string, string>> requestHeaders, Answer answer)
    {
        DateTimeOffset finishedAt = _time.GetUtcNow();
        _metrics.Record(answer.Error, answer.StatusCode, _time.GetElapsedTime(startTimestamp).TotalMilliseconds);
        return new SendOutcome
        {
            Url = url,
            StartedAt = startedAt,
            FinishedAt = finishedAt,
            RequestHeaders = requestHeaders,
            StatusCode = answer.StatusCode,
            ResponseHeaders = answer.ResponseHeaders,
            ResponseBody = answer.ResponseBody,
            Error = answer.Error,
            ErrorDetail = answer.Detail,
            RetryAfter = answer.RetryAfter,
        };
    }

    private static IReadOnlyList<KeyValuePair<string, string>> LogResponseHeaders(HttpResponseMessage response)
    {
        HttpHeadersNonValidated headers = response.Headers.NonValidated;
        HttpHeadersNonValidated contentHeaders = response.Content.Headers.NonValidated;
        var log = new HeaderLog(headers.Count + contentHeaders.Count);
        log.AddAll(response.Headers);
        log.AddAll(response.Content.Headers);
        return log.ToList();
    }

    private static string DescribeStatus(HttpResponseMessage response)
    {
        int status = (int)response.StatusCode;
        if (status is >= 300 and <= 399)
        {
            return response.Headers.NonValidated.TryGetValues("Location", out HeaderStringValues location)
                ? $"HTTP {status}: redirect to {location} not followed"
                : $"HTTP {status}: redirects are not followed";
        }
        return string.IsNullOrEmpty(response.ReasonPhrase) ? $"HTTP {status}" : $"HTTP {status} {response.ReasonPhrase}";
    }

    public void Dispose()
    {
        _invoker.Dispose();
        _metrics.Dispose();
    }

    private sealed class Answer
    {
        public int? StatusCode;
        public IReadOnlyList<KeyValuePair<string, string>> ResponseHeaders = [];
        public string? ResponseBody;
        public TimeSpan? RetryAfter;
        public SendErrorKind Error;
        public string? Detail;
    }
}
