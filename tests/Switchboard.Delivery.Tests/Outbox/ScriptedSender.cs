using System.Collections.Concurrent;
using System.Text.Json;
using Switchboard.Delivery.Http;

namespace Switchboard.Delivery.Tests.Outbox;

/// <summary>One request as the scripted sender saw it.</summary>
public sealed record SentRequest(DateTimeOffset At, string Url, int Attempt, string DeliveredTo, string EventId, byte[] Body, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
}

/// <summary>
/// An in-test <see cref="IWebhookSender"/>: answers each request as the test scripts it (by default 200), on the
/// test's clock, and keeps every request for assertions.
/// </summary>
public sealed class ScriptedSender(TimeProvider time) : IWebhookSender
{
    private readonly ConcurrentQueue<SentRequest> _requests = new();

    /// <summary>How to answer a request; the default answers 200.</summary>
    public Func<SentRequest, Answer> Respond { get; set; } = _ => Answer.Status(200);

    /// <summary>Runs before answering, e.g. to hold a request until the test lets it go.</summary>
    public Func<SentRequest, Task>? BeforeAnswer { get; set; }

    public IReadOnlyList<SentRequest> Requests => [.. _requests];

    public async Task<SendOutcome> SendAsync(SendRequest request, CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        using var envelope = JsonDocument.Parse(request.Body);
        var meta = envelope.RootElement.GetProperty("meta");
        var sent = new SentRequest(started, request.Url.OriginalString, meta.GetProperty("attempt").GetInt32(),
            meta.GetProperty("delivered_to").GetString()!, envelope.RootElement.GetProperty("data").GetProperty("id").GetString()!,
            request.Body.ToArray(), request.Headers);
        _requests.Enqueue(sent);
        if (BeforeAnswer is { } before)
        {
            await before(sent);
        }

        var answer = Respond(sent);
        return new SendOutcome
        {
            Url = request.Url,
            StartedAt = started,
            FinishedAt = time.GetUtcNow(),
            RequestHeaders = request.Headers,
            StatusCode = answer.Code,
            ResponseHeaders = answer.Code is null ? [] : [new("Content-Type", "text/plain"), new("X-Test", "yes")],
            ResponseBody = answer.Body,
            Error = answer.Error,
            ErrorDetail = answer.Error == SendErrorKind.None ? null : $"scripted {answer.Error}",
            RetryAfter = answer.RetryAfter,
        };
    }

    public sealed record Answer(int? Code, SendErrorKind Error, TimeSpan? RetryAfter = null, string? Body = null)
    {
        public static Answer Status(int code, TimeSpan? retryAfter = null, string? body = null) =>
            new(code, code is >= 200 and < 300 ? SendErrorKind.None : SendErrorKind.HttpStatus, retryAfter, body ?? $"status {code}");

        public static Answer Failure(SendErrorKind error) => new(null, error);
    }
}
