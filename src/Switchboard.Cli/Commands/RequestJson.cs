using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Switchboard.Receiver;

namespace Switchboard.Cli.Commands;

/// <summary>
/// <c>GET /api/requests</c> of <c>switchboard listen</c>: the request log as JSON, newest first, a page at a time (the
/// inspector's pages are Switchboard.Web's). A body that is not UTF-8 comes as base64.
/// </summary>
internal static class RequestJson
{
    public const int PageSize = 50;
    public const int MaxPageSize = 100;

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static object From(RecordedRequest r) => new
    {
        r.Id,
        r.ReceivedAt,
        r.Outcome,
        r.HttpStatus,
        r.Verification,
        r.Reason,
        r.Detail,
        r.EventId,
        r.EventType,
        Headers = r.Headers.Select(h => new[] { h.Key, h.Value }),
        Body = BodyText(r.Body, out var isBase64),
        BodyEncoding = isBase64 ? "base64" : "utf-8",
        r.BodyLength,
        r.BodyTruncated,
    };

    private static string BodyText(byte[] body, out bool isBase64)
    {
        try
        {
            isBase64 = false;
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            isBase64 = true;
            return Convert.ToBase64String(body);
        }
    }
}
