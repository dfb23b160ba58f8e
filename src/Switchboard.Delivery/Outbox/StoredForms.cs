using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Switchboard.Delivery.Http;
using Switchboard.Signing;

namespace Switchboard.Delivery.Outbox;

/// <summary>A target as stored in the work item's context.</summary>
internal sealed record StoredTarget(string Url, SignatureScheme Scheme, string? Key, long? TimeoutMs = null);

/// <summary>One request as stored in the attempt log: enough to rebuild a <see cref="DeliveryAttempt"/>, and searchable as text.</summary>
internal sealed record AttemptLogEntry
{
    public required string Url { get; init; }
    public required string[][] RequestHeaders { get; init; }
    public int? Status { get; init; }
    public string[][]? ResponseHeaders { get; init; }
    public string? ResponseBody { get; init; }
    /// <summary>The error kind in snake_case (<c>timeout</c>, <c>http_status</c>, ...); null for a 2xx.</summary>
    public string? Error { get; init; }
    public string? ErrorDetail { get; init; }

    public const int MaxLoggedBytes = SendOutcome.MaxLoggedBodyBytes;

    public static AttemptLogEntry From(SendOutcome outcome, IReadOnlyList<KeyValuePair<string, string>> sentHeaders) => new()
    {
        Url = outcome.Url.OriginalString,
        RequestHeaders = Cap(outcome.RequestHeaders.Count > 0 ? outcome.RequestHeaders : sentHeaders),
        Status = outcome.StatusCode,
        ResponseHeaders = outcome.StatusCode is null ? null : Cap(outcome.ResponseHeaders),
        ResponseBody = CapBody(outcome.ResponseBody),
        Error = outcome.Succeeded ? null : ErrorCode(outcome.Error == SendErrorKind.None ? SendErrorKind.HttpStatus : outcome.Error),
        ErrorDetail = outcome.ErrorDetail,
    };

    /// <summary>Headers in order until they add up to the 10 kB the log keeps.</summary>
    private static string[][] Cap(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var kept = new List<string[]>(headers.Count);
        var bytes = 0;
        foreach (var (name, value) in headers)
        {
            bytes += Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value ?? "");
            if (bytes > MaxLoggedBytes)
            {
                break;
            }

            kept.Add([name, value ?? ""]);
        }

        return [.. kept];
    }

    private static string? CapBody(string? body)
    {
        if (body is null || Encoding.UTF8.GetByteCount(body) <= MaxLoggedBytes)
        {
            return body;
        }

        var bytes = Encoding.UTF8.GetBytes(body);
        var cut = MaxLoggedBytes;
        while (cut > 0 && (bytes[cut] & 0xC0) == 0x80)
        {
            cut--; // do not split a UTF-8 sequence
        }

        return Encoding.UTF8.GetString(bytes, 0, cut);
    }

    /// <summary>An attempt the store logged as interrupted (the process stopped before a result was recorded; see <see cref="DurableWork.WorkAttempt.InterruptedDetail"/>).</summary>
    public static AttemptLogEntry Interrupted(string url) => new()
    {
        Url = url,
        RequestHeaders = [],
        Error = "interrupted",
        ErrorDetail = "the dispatcher stopped (crash or takeover) before this attempt's result was recorded; the request may or may not have been sent",
    };

    public DeliveryAttempt ToAttempt(int attempt, DateTimeOffset startedAt, DateTimeOffset finishedAt, bool succeeded) => new()
    {
        Attempt = attempt,
        Status = succeeded ? "delivered" : "failed",
        StartedAt = startedAt,
        FinishedAt = finishedAt,
        Errors = succeeded ? [] : [new DeliveryError(Error ?? "other", ErrorTitle(), ErrorDetail)],
        Http = new DeliveryHttp(
            new DeliveryHttpRequest(Url, RequestHeaders),
            Status is { } status ? new DeliveryHttpResponse(status, ResponseHeaders ?? [], ResponseBody) : null),
    };

    private string ErrorTitle() => Error switch
    {
        "http_status" => $"the endpoint answered {Status}, not 2xx",
        "timeout" => "no answer in time",
        "connection_refused" => "connection refused",
        "dns" => "the host name did not resolve",
        "tls" => "TLS handshake failed",
        "reset" => "the connection was reset",
        "ssrf_blocked" => "the URL resolves to an address webhooks may not be sent to",
        "invalid_url" => "not an absolute http or https URL",
        "interrupted" => "interrupted: no result was recorded",
        _ => "the request failed",
    };

    /// <summary><c>HttpStatus</c> → <c>http_status</c>.</summary>
    public static string ErrorCode(SendErrorKind kind) => JsonNamingPolicy.SnakeCaseLower.ConvertName(kind.ToString());
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(StoredTarget[]))]
[JsonSerializable(typeof(AttemptLogEntry))]
internal sealed partial class DeliveryJsonContext : JsonSerializerContext;
