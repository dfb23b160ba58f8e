using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Switchboard.Receiver;

namespace Switchboard.Cli.Commands;

/// <summary>
/// The inspector of <c>switchboard listen</c>: a plain server-rendered page of recorded requests, newest first, a page
/// at a time (the web UI comes later), and the same as JSON. Every page is bounded: at most <see cref="MaxPageSize"/>
/// requests, each body shown up to <see cref="MaxBodyShown"/> bytes on the page.
/// </summary>
internal static class InspectorPage
{
    public const int PageSize = 50;
    public const int MaxPageSize = 100;
    public const int MaxBodyShown = 8 * 1024;

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static object ToJson(RecordedRequest r) => new
    {
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

    public static string Render(IReadOnlyList<RecordedRequest> requests, int page, IReadOnlyList<InboxEntry> deadLettered, string path)
    {
        var html = HtmlEncoder.Default;
        var text = new StringBuilder();
        text.Append("<!doctype html><html><head><meta charset=\"utf-8\"><title>switchboard listen</title>")
            .Append("<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}")
            .Append(".rejected{color:#a00}.duplicate{color:#a60}pre{white-space:pre-wrap;max-width:60em;margin:0}</style></head><body>")
            .Append("<h1>Webhooks received at ").Append(html.Encode(path)).Append("</h1>");
        if (deadLettered.Count > 0)
        {
            text.Append("<h2>Dead-lettered forwards</h2><p>The app did not take these. Replay one, or all with <code>POST /api/dead-letter/replay</code>.</p><table><tr><th>event</th><th>tries</th><th>last error</th><th></th></tr>");
            foreach (var entry in deadLettered)
            {
                var lastError = entry.HandlerRuns.FirstOrDefault(r => !r.Completed)?.Error ?? "";
                text.Append("<tr class=\"rejected\"><td>").Append(html.Encode($"{entry.EventType} {entry.EventId}")).Append("</td><td>")
                    .Append(entry.Runs).Append("</td><td>").Append(html.Encode(lastError)).Append("</td><td><form method=\"post\" action=\"/api/events/")
                    .Append(html.Encode(Uri.EscapeDataString(entry.EventId))).Append("/replay\"><button>replay</button></form></td></tr>");
            }

            text.Append("</table>");
        }

        text.Append("<h2>Requests</h2><p>Newest first, page ").Append(page).Append(" (").Append(requests.Count).Append(" shown, at most ").Append(PageSize).Append(" a page). ");
        if (page > 1)
        {
            text.Append("<a href=\"/?page=").Append(page - 1).Append("\">newer</a> ");
        }

        if (requests.Count == PageSize)
        {
            text.Append("<a href=\"/?page=").Append(page + 1).Append("\">older</a> ");
        }

        text.Append("JSON: <a href=\"/api/requests\">/api/requests</a></p>")
            .Append("<table><tr><th>received</th><th>status</th><th>outcome</th><th>verification</th><th>event</th><th>reason</th><th>body</th></tr>");
        foreach (var r in requests)
        {
            var shown = r.Body.Length > MaxBodyShown ? r.Body[..MaxBodyShown] : r.Body;
            var length = r.BodyLength ?? r.Body.Length;
            text.Append("<tr class=\"").Append(html.Encode(r.Outcome)).Append("\"><td>")
                .Append(html.Encode(r.ReceivedAt.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))).Append("</td><td>")
                .Append(r.HttpStatus).Append("</td><td>").Append(html.Encode(r.Outcome)).Append("</td><td>")
                .Append(html.Encode(r.Verification)).Append("</td><td>")
                .Append(html.Encode($"{r.EventType} {r.EventId}")).Append("</td><td>")
                .Append(html.Encode(r.Reason ?? "")).Append(r.Detail is null ? "" : "<br><small>" + html.Encode(r.Detail) + "</small>").Append("</td><td><details><summary>")
                .Append(length).Append(" bytes");
            if (shown.Length < length)
            {
                text.Append(shown.Length == 0 ? " (not kept)" : $" (the first {shown.Length} shown)");
            }

            // For the eye only (the JSON keeps the bytes): a cut through a UTF-8 sequence shows as U+FFFD.
            text.Append("</summary><pre>").Append(html.Encode(Encoding.UTF8.GetString(shown))).Append("</pre></details></td></tr>");
        }

        return text.Append("</table></body></html>").ToString();
    }

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
