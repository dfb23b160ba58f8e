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
        var toOption = new Option<Uri>("--to")
        {
            Description = "Absolute http or https URL to POST the webhook to",
            Required = true,
            CustomParser = ParseUrl,
        };
        var keyOption = new Option<FileInfo>("--key") { Description = "Private key file written by 'keys generate'", Required = true };
        var setOption = new Option<string[]>("--set")
        {
            Description = "Override a field: PATH=STRING or PATH:=JSON, e.g. data.payload.text=hi (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        // HttpClient takes a timeout of at most int.MaxValue milliseconds.
        var timeoutOption = SecondsOption.Create("--timeout", "Seconds to wait for the response", 10, maxSeconds: int.MaxValue / 1000);
        var command = new Command("trigger", "POST one realistic, freshly signed sample event to a URL and print the response status and time")
        {
            eventTypeArgument, toOption, keyOption, setOption, timeoutOption,
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
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.UserAgent.ParseAdd(ProductInfo.UserAgent);
            foreach (var (name, value) in new Ed25519WebhookSigner(signingKey).Sign(body, time.GetUtcNow(), envelope.Data.Id))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false })
            {
                Timeout = TimeSpan.FromSeconds(parse.GetValue(timeoutOption)),
            };
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.SendAsync(request, cancellation);
                var elapsed = Stopwatch.GetElapsedTime(started);
                output.WriteLine($"{envelope.Data.EventType} {envelope.Data.Id} -> {url}");
                output.WriteLine($"{(int)response.StatusCode} {response.ReasonPhrase} in {elapsed.TotalMilliseconds:0} ms");
                return response.IsSuccessStatusCode ? 0 : 1;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                error.WriteLine($"{envelope.Data.EventType} {envelope.Data.Id} -> {url}: {Describe(ex)} after {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
                return 1;
            }
        });
        return command;
    }

    private static byte[] Serialize(JsonNode document)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = EventsJsonContext.WireEncoder }))
        {
            document.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static Uri? ParseUrl(ArgumentResult result)
    {
        var text = string.Join(' ', result.Tokens.Select(t => t.Value));
        if (Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
        {
            return url;
        }

        result.AddError($"--to must be an absolute http or https URL; got '{text}'");
        return null;
    }

    private static string Describe(Exception ex) => ex switch
    {
        TaskCanceledException => "no response before the timeout",
        HttpRequestException { HttpRequestError: var kind } => $"{kind}: {ex.Message}",
        _ => ex.Message,
    };
}
