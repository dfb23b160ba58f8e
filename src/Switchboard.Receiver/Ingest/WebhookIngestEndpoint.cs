using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Switchboard.Events;
using Switchboard.Receiver.Inbox;
using Switchboard.Receiver.Storage;
using Switchboard.Signing;

namespace Switchboard.Receiver.Ingest;

/// <summary>
/// The request path: read the raw body (bounded), verify, parse, store durably, answer 200. Nothing slow runs here:
/// handlers run later from the inbox. Bad input gets a 4xx problem, never a 5xx. A store that cannot write (full
/// disk, database down or read-only) gets a 503 problem instead, so the sender tries again later.
/// </summary>
internal sealed partial class WebhookIngestEndpoint(
    IOptions<TelnyxWebhookOptions> options,
    IWebhookInbox inbox,
    TimeProvider time,
    ReceiverMetrics metrics,
    ILogger<WebhookIngestEndpoint> logger)
{
    /// <summary>What a sender that honours <c>Retry-After</c> waits after a 503 (Telnyx retries on its own schedule).</summary>
    internal const string StoreUnavailableRetryAfterSeconds = "5";

    private const string StoreUnavailable = "store_unavailable";
    private const string ClientAborted = "client_aborted";

    private readonly TelnyxWebhookOptions _options = options.Value;
    private readonly IWebhookVerifier _verifier = options.Value.CreateVerifier(time);

    public async Task<IResult> HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (!IsJson(request.ContentType))
        {
            return await RejectUnreadAsync(context, StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
                $"Content-Type must be application/json; got '{request.ContentType ?? "(none)"}'");
        }

        if (!IsIdentity(request.Headers.ContentEncoding))
        {
            // Signatures are over the bytes as sent; a compressed body would have to be inflated first, which no sender does.
            return await RejectUnreadAsync(context, StatusCodes.Status415UnsupportedMediaType, "unsupported_content_encoding",
                $"Content-Encoding must be absent or identity; got '{request.Headers.ContentEncoding}'");
        }

        if (request.ContentLength > _options.MaxBodyBytes)
        {
            return await RejectUnreadAsync(context, StatusCodes.Status413PayloadTooLarge, "body_too_large",
                $"the body is {request.ContentLength} bytes; the limit is {_options.MaxBodyBytes}");
        }

        using var read = new PooledBody(Math.Min(_options.MaxBodyBytes, (int?)request.ContentLength ?? 16 * 1024) + 1);
        try
        {
            await read.ReadAsync(request.Body, _options.MaxBodyBytes, context.RequestAborted);
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's own verdict on the body: too slow (MinRequestBodyDataRate), malformed chunking, or its size limit.
            // An answer like any other rejection, not an unhandled exception.
            var (reason, detail) = ex.StatusCode switch
            {
                StatusCodes.Status408RequestTimeout => ("request_timeout", "the body arrived too slowly"),
                StatusCodes.Status413PayloadTooLarge => ("body_too_large", ex.Message),
                _ => ("malformed_request", ex.Message),
            };
            return await RejectUnreadAsync(context, ex.StatusCode, reason, detail);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            // The client went away mid-body (a reset, a cancelled request): nobody is left to answer.
            metrics.Rejected(ClientAborted);
            LogAborted(logger, ex.Message);
            return Results.Empty;
        }

        if (read.Length > _options.MaxBodyBytes)
        {
            return await RejectUnreadAsync(context, StatusCodes.Status413PayloadTooLarge, "body_too_large", $"the body is larger than the limit of {_options.MaxBodyBytes} bytes");
        }

        var body = read.Memory;
        var headers = new RequestHeaders(request.Headers);
        var verification = _options.AcceptUnsigned ? null : (VerificationResult?)_verifier.Verify(body.Span, headers);
        var verificationCode = verification?.Code ?? "unverified";
        // The identity only: the payload's typed view is built by the handler runner, once, when it handles the event.
        WebhookSummary.TryParse(body.Span, out var summary, out var parseError);
        var received = new ReceivedWebhook
        {
            EventId = summary?.Id,
            EventType = summary?.EventType,
            OccurredAt = summary?.OccurredAt,
            ReceivedAt = time.GetUtcNow(),
            // The pooled buffer itself: everything that keeps the body copies it before this method returns.
            Body = body,
            Headers = headers.Snapshot(),
            Verification = verificationCode,
            VerificationDetail = verification?.Detail,
            RemoteAddress = context.Connection.RemoteIpAddress?.ToString(),
        };

        if (verification is { IsValid: false } failed)
        {
            return await RejectAndRecordAsync(context, received, StatusCodes.Status401Unauthorized, failed.Code, failed.Detail ?? failed.Code);
        }

        if (summary is null)
        {
            return await RejectAndRecordAsync(context, received, StatusCodes.Status400BadRequest, "malformed_webhook", parseError!);
        }

        InboxWriteOutcome outcome;
        try
        {
            outcome = await inbox.AcceptAsync(received, CancellationToken.None);
        }
        catch (Exception)
        {
            // The inbox could not write (it reported why). Its transaction rolled back, so nothing of it is kept
            // and the sender sends it again. (Should a commit have succeeded after all, say a PostgreSQL connection
            // lost during COMMIT, the retry is answered as a duplicate.)
            context.Features.Set(new WebhookReceipt("rejected", verificationCode, StoreUnavailable, summary.Id, summary.EventType));
            context.Response.Headers.RetryAfter = StoreUnavailableRetryAfterSeconds;
            return Reject(StatusCodes.Status503ServiceUnavailable, StoreUnavailable,
                "the webhook could not be stored; send it again later");
        }

        metrics.Received(summary.EventType, outcome);
        context.Features.Set(new WebhookReceipt(
            outcome == InboxWriteOutcome.Duplicate ? "duplicate" : "accepted", verificationCode, null, summary.Id, summary.EventType));
        return Results.Json(
            new IngestAnswer(outcome == InboxWriteOutcome.Duplicate ? "duplicate" : "accepted", summary.Id),
            ReceiverJsonContext.Default.IngestAnswer);
    }

    private async ValueTask<IResult> RejectAndRecordAsync(HttpContext context, ReceivedWebhook received, int status, string reason, string detail)
    {
        await inbox.RecordRejectedAsync(received, status, reason, detail, CancellationToken.None);
        context.Features.Set(new WebhookReceipt("rejected", received.Verification, reason, received.EventId, received.EventType));
        return Reject(status, reason, detail);
    }

    /// <summary>Any method but POST: 405, recorded like every other request (without a body).</summary>
    public ValueTask<IResult> RejectMethodAsync(HttpContext context)
    {
        context.Response.Headers.Allow = "POST";
        return RejectUnreadAsync(context, StatusCodes.Status405MethodNotAllowed, "method_not_allowed",
            $"{context.Request.Method} is not allowed; Telnyx webhooks are POSTed");
    }

    /// <summary>A rejection decided before (or instead of) keeping the body (method, content type, size): recorded with headers only.</summary>
    private ValueTask<IResult> RejectUnreadAsync(HttpContext context, int status, string reason, string detail)
    {
        var received = new ReceivedWebhook
        {
            ReceivedAt = time.GetUtcNow(),
            Body = ReadOnlyMemory<byte>.Empty,
            BodyLength = context.Request.ContentLength,
            Headers = new RequestHeaders(context.Request.Headers).Snapshot(),
            Verification = "not_checked",
            RemoteAddress = context.Connection.RemoteIpAddress?.ToString(),
        };
        return RejectAndRecordAsync(context, received, status, reason, detail);
    }

    private IResult Reject(int status, string reason, string detail)
    {
        metrics.Rejected(reason);
        LogRejected(logger, status, reason, TerminalText.Escape(detail));
        return Problems.Create(status, reason, detail);
    }

    private static bool IsIdentity(Microsoft.Extensions.Primitives.StringValues contentEncoding)
    {
        foreach (var value in contentEncoding)
        {
            foreach (var coding in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!coding.Equals("identity", StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && (parsed.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || parsed.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));

    [LoggerMessage(Level = LogLevel.Debug, Message = "The client went away before its body was read: {Detail}")]
    private static partial void LogAborted(ILogger logger, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rejected a webhook with {Status} ({Reason}): {Detail}")]
    private static partial void LogRejected(ILogger logger, int status, string reason, string detail);
}

/// <summary>The 200 answer: <c>{"status":"accepted"|"duplicate","id":"..."}</c>.</summary>
internal sealed record IngestAnswer(string Status, string Id);
