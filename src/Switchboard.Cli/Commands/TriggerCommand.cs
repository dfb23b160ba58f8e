using System.Buffers;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Events;
using Switchboard.Signing;

namespace Switchboard.Cli.Commands;

/// <summary><c>switchboard trigger EVENT_TYPE --to URL --key FILE [--set PATH=VALUE ...]</c></summary>
internal static class TriggerCommand
{
    public static Command Create(TimeProvider time)
    {
        var eventTypeArgument = new Argument<string>("EVENT_TYPE") { HelpName = "EVENT_TYPE", Description = $"One of: {string.Join(", ", EventTypes.All)}" };
        eventTypeArgument.AcceptOnlyFromAmong([.. EventTypes.All]);
        var toOption = HttpUrlOption.Create("--to", "Absolute http or https URL to POST the webhook to");
        toOption.Required = true;
        var keyOption = new Option<FileInfo>("--key") { Description = "Private key file written by 'keys generate'", Required = true };
        var setOption = new Option<string[]>("--set")
        {
            Description = "Override a field: PATH=STRING or PATH:=JSON, e.g. data.payload.text=hi (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        // HttpClient takes a timeout of at most int.MaxValue milliseconds.
        var timeoutOption = SecondsOption.Create("--timeout", "Seconds to wait for the response", 10, maxSeconds: int.MaxValue / 1000);
        var waitOption = new Option<double>("--wait")
        {
            Description = "Seconds to keep trying to connect while nothing listens yet (e.g. right after starting 'switchboard listen'); default 0",
            CustomParser = result => ParseWait(result),
        };
        var command = new Command("trigger", "POST one realistic, freshly signed sample event to a URL and print the id sent and the receiver's answer")
        {
            eventTypeArgument, toOption, keyOption, setOption, timeoutOption, waitOption,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var url = parse.GetRequiredValue(toOption);
            if (!CliFiles.TryReadKey(parse.GetRequiredValue(keyOption), error, out var key))
            {
                return 1;
            }

            using var signingKey = key;
            var envelope = new WebhookEnvelope
            {
                Data = SampleEvents.Create(parse.GetRequiredValue(eventTypeArgument), time),
                // AbsoluteUri, not ToString(): ToString() unescapes, and delivered_to must be the URL requested.
                Meta = new WebhookMeta { Attempt = 1, DeliveredTo = url.AbsoluteUri },
            };
            var document = JsonNode.Parse(envelope.ToUtf8Bytes())!;
            foreach (var assignment in parse.GetValue(setOption) ?? [])
            {
                if (!JsonOverrides.TryApply(document, assignment, out var problem))
                {
                    error.WriteLine($"--set {problem}");
                    return 2;
                }
            }

            var body = Serialize(document);
            // What was sent, overrides included: the id and type a receiver will see.
            var sentId = Text(document["data"]?["id"]) ?? "";
            var eventId = sentId.Length == 0 ? "(no data.id)" : TerminalText.Escape(sentId);
            var eventType = TerminalText.Escape(Text(document["data"]?["event_type"]) ?? "(no data.event_type)");
            var headers = new Ed25519WebhookSigner(signingKey).Sign(body, time.GetUtcNow(), sentId);
            using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false })
            {
                Timeout = TimeSpan.FromSeconds(parse.GetValue(timeoutOption)),
            };
            var waitUntil = Stopwatch.GetTimestamp() + (long)(parse.GetValue(waitOption) * Stopwatch.Frequency);
            while (true)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.UserAgent.ParseAdd(ProductInfo.UserAgent);
                foreach (var (name, value) in headers)
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }

                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.SendAsync(request, cancellation);
                    var elapsed = Stopwatch.GetElapsedTime(started);
                    var answer = await Answer(response, cancellation);
                    output.WriteLine($"{eventType} {eventId} -> {url}");
                    output.WriteLine($"{(int)response.StatusCode} {TerminalText.Escape(response.ReasonPhrase)} in {elapsed.TotalMilliseconds:0} ms{answer}");
                    return response.IsSuccessStatusCode ? 0 : 1;
                }
                catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ConnectionError && Stopwatch.GetTimestamp() < waitUntil)
                {
                    // Nothing listens yet; the signature stays fresh for minutes, so the same request is sent again.
                    await Task.Delay(200, cancellation);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    error.WriteLine($"{eventType} {eventId} -> {url}: {Describe(ex)} after {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
                    return 1;
                }
            }
        });
        return command;
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : node?.ToJsonString();

    /// <summary>
    /// What the receiver said, when it speaks Switchboard's (or a compatible) language: <c>accepted</c> or
    /// <c>duplicate</c> from a 200, the problem's <c>reason</c> and <c>detail</c> from a rejection. Empty otherwise.
    /// </summary>
    private static async Task<string> Answer(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentType?.MediaType is not ("application/json" or "application/problem+json"))
        {
            return "";
        }

        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var json = text.Length > 64 * 1024 ? null : JsonNode.Parse(text) as JsonObject;
            var answer = (Text(json?["status"]), Text(json?["reason"]), Text(json?["detail"])) switch
            {
                (_, { } reason, var detail) => $": rejected: {reason}{(detail is null ? "" : $" ({detail})")}",
                ({ } status, _, _) when response.IsSuccessStatusCode => $": {status}",
                _ => "",
            };
            return TerminalText.Escape(answer);
        }
        catch (JsonException)
        {
            return "";
        }
    }

    private static double ParseWait(ArgumentResult result)
    {
        var text = string.Join(' ', result.Tokens.Select(t => t.Value));
        if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds is >= 0 and <= 3600)
        {
            return seconds;
        }

        result.AddError($"--wait must be a number of seconds from 0 to 3600; got '{text}'");
        return 0;
    }

    private static byte[] Serialize(JsonNode document)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = EventJson.WireEncoder }))
        {
            document.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static string Describe(Exception ex) => ex switch
    {
        TaskCanceledException => "no response before the timeout",
        HttpRequestException { HttpRequestError: var kind } => $"{kind}: {ex.Message}",
        _ => ex.Message,
    };
}
