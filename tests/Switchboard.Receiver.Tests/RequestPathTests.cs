using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Receiver.Tests.Support;
using Switchboard.Signing;
using Switchboard.Testing;

namespace Switchboard.Receiver.Tests;

/// <summary>The request path over real HTTP: every bad input gets its 4xx and problem reason, and nothing of it is stored or handled.</summary>
public sealed class RequestPathTests : IAsyncLifetime
{
    private readonly TestSender _sender = new();
    private readonly HandlerSink _sink = new();
    private ReceiverApp _app = null!;

    public async Task InitializeAsync() => _app = await ReceiverApp.StartAsync(
        o =>
        {
            o.PublicKeys.Add(_sender.PublicKey);
            o.DataDirectory = TempFolder.Create();
            o.RecordAllRequests = true;
        },
        handlers => handlers.OnAny("any", (context, _) =>
        {
            _sink.Ran("any", context);
            return Task.CompletedTask;
        }));

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _sender.Dispose();
    }

    [Fact]
    public async Task A_signed_webhook_is_stored_answered_200_and_handled_once()
    {
        var body = TestSender.Body(id: "evt-ok");
        using var response = await _app.PostAsync(body, _sender.Sign(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("accepted", (string?)answer["status"]);
        Assert.Equal("evt-ok", (string?)answer["id"]);
        var entry = await Eventually.GetAsync(() => _app.Admin.GetAsync("evt-ok"), e => e?.State == InboxEntryState.Handled, "the event to be handled");
        Assert.Equal("valid", entry!.Verification);
        Assert.Equal(Encoding.UTF8.GetString(body), entry.Body);
        Assert.Equal(1, _sink.Runs("evt-ok", "any"));
    }

    [Fact]
    public async Task A_replayed_request_gets_200_duplicate_and_the_handler_runs_once()
    {
        var body = TestSender.Body(id: "evt-replayed");
        var headers = _sender.Sign(body);
        using var first = await _app.PostAsync(body, headers);
        using var second = await _app.PostAsync(body, headers);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("duplicate", (string?)JsonNode.Parse(await second.Content.ReadAsStringAsync())!["status"]);
        await Eventually.GetAsync(() => _app.Admin.GetAsync("evt-replayed"), e => e?.State == InboxEntryState.Handled, "the event to be handled");
        // A replay after handling is still a duplicate.
        using var third = await _app.PostAsync(body, headers);
        Assert.Equal("duplicate", (string?)JsonNode.Parse(await third.Content.ReadAsStringAsync())!["status"]);
        Assert.Equal(1, _sink.Runs("evt-replayed", "any"));
        var requests = await _app.Admin.ListRequestsAsync();
        Assert.Equal(2, requests.Count(r => r.Outcome == "duplicate" && r.EventId == "evt-replayed"));
        Assert.Equal(1, requests.Count(r => r.Outcome == "accepted" && r.EventId == "evt-replayed"));
    }

    public static TheoryData<string> BadInputs => [.. Cases.Keys];

    private static readonly Dictionary<string, Func<TestSender, (byte[] Body, IReadOnlyList<KeyValuePair<string, string>> Headers, string ContentType, int Status, string Reason)>> Cases = new()
    {
        ["missing headers"] = s => (TestSender.Body(), [], "application/json", 401, "missing_header"),
        ["missing signature header"] = s => Signed(s, h => h.Where(x => x.Key != TelnyxHeaders.Signature), 401, "missing_header"),
        ["signature under telnyx-signature"] = s => Signed(s, h => h.Select(x => x.Key == TelnyxHeaders.Signature ? new("telnyx-signature", x.Value) : x), 401, "missing_header"),
        ["timestamp with letters"] = s => Signed(s, h => Replace(h, TelnyxHeaders.Timestamp, "17000000a0"), 401, "malformed_timestamp"),
        ["timestamp in milliseconds"] = s =>
        {
            var body = TestSender.Body();
            var ms = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            return (body, Replace(s.Sign(body), TelnyxHeaders.Timestamp, ms), "application/json", 401, "timestamp_outside_tolerance");
        },
        ["stale timestamp"] = s => SignedAt(s, DateTimeOffset.UtcNow.AddSeconds(-400), 401, "timestamp_outside_tolerance"),
        ["future timestamp"] = s => SignedAt(s, DateTimeOffset.UtcNow.AddSeconds(400), 401, "timestamp_outside_tolerance"),
        ["signature not base64"] = s => Signed(s, h => Replace(h, TelnyxHeaders.Signature, "not*base64!"), 401, "malformed_signature"),
        ["signature of 63 bytes"] = s => Signed(s, h => Replace(h, TelnyxHeaders.Signature, Convert.ToBase64String(new byte[63])), 401, "wrong_signature_length"),
        ["wrong key"] = s =>
        {
            using var other = new TestSender();
            var body = TestSender.Body();
            return (body, other.Sign(body), "application/json", 401, "signature_mismatch");
        },
        ["one body byte changed"] = s =>
        {
            var body = TestSender.Body();
            var headers = s.Sign(body);
            var tampered = (byte[])body.Clone();
            var at = Encoding.UTF8.GetString(tampered).IndexOf("Hello", StringComparison.Ordinal);
            tampered[at >= 0 ? at : tampered.Length / 2] ^= 0x01;
            return (tampered, headers, "application/json", 401, "signature_mismatch");
        },
        ["body re-serialised"] = s =>
        {
            var body = TestSender.Body();
            var headers = s.Sign(body);
            var reserialised = Encoding.UTF8.GetBytes(JsonNode.Parse(body)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return (reserialised, headers, "application/json", 401, "signature_mismatch");
        },
        ["JSON array"] = s => SignedBody(s, "[{\"data\":{}}]", 400, "malformed_webhook"),
        ["JSON scalar"] = s => SignedBody(s, "42", 400, "malformed_webhook"),
        ["not JSON"] = s => SignedBody(s, "data=1&id=2", 400, "malformed_webhook"),
        ["no data.id"] = s => SignedBody(s, "{\"data\":{\"event_type\":\"message.sent\",\"payload\":{}}}", 400, "malformed_webhook"),
        ["no data.event_type"] = s => SignedBody(s, "{\"data\":{\"id\":\"x\",\"payload\":{}}}", 400, "malformed_webhook"),
        ["data.id of 10,000 characters"] = s => SignedBody(s, $"{{\"data\":{{\"id\":\"{new string('7', 10_000)}\",\"event_type\":\"message.sent\",\"payload\":{{}}}}}}", 400, "malformed_webhook"),
        ["data.id with a line break"] = s => SignedBody(s, "{\"data\":{\"id\":\"x\\n12:00:00.000  200  accepted\",\"event_type\":\"message.sent\",\"payload\":{}}}", 400, "malformed_webhook"),
        ["body not UTF-8"] = s =>
        {
            var body = Encoding.UTF8.GetBytes("{\"data\":{\"id\":\"x\",\"event_type\":\"message.sent\",\"payload\":{\"text\":\"caf?\"}}}");
            body[Array.IndexOf(body, (byte)'?')] = 0xE9; // Latin-1 'é': not UTF-8
            return (body, s.Sign(body), "application/json", 400, "malformed_webhook");
        },
        ["gzip content encoding"] = s => Signed(s, h => h.Append(new("Content-Encoding", "gzip")), 415, "unsupported_content_encoding"),
        ["timestamp of 20 digits"] = s => Signed(s, h => Replace(h, TelnyxHeaders.Timestamp, "17000000000000000000"), 401, "timestamp_outside_tolerance"),
        ["wrong content type"] = s =>
        {
            var body = TestSender.Body();
            return (body, s.Sign(body), "text/plain", 415, "unsupported_media_type");
        },
        ["10 MB body"] = s =>
        {
            var body = new byte[10 * 1024 * 1024];
            Array.Fill(body, (byte)' ');
            return (body, s.Sign(body), "application/json", 413, "body_too_large");
        },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_gets_its_status_and_reason_and_nothing_is_stored_or_handled(string name)
    {
        var (body, headers, contentType, status, reason) = Cases[name](_sender);

        using var response = await _app.PostAsync(body, headers, contentType);

        await AssertProblemAsync(response, status, reason);
        await AssertNothingAcceptedAsync();
    }

    [Fact]
    public async Task A_body_over_the_limit_without_content_length_gets_413()
    {
        var body = new byte[2 * 1024 * 1024];
        Array.Fill(body, (byte)' ');
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/telnyx") { Content = new StreamContent(new MemoryStream(body)) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TransferEncodingChunked = true;
        foreach (var (n, v) in _sender.Sign(body))
        {
            request.Headers.TryAddWithoutValidation(n, v);
        }

        using var response = await _app.Client.SendAsync(request);

        await AssertProblemAsync(response, 413, "body_too_large");
        await AssertNothingAcceptedAsync();
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task Other_methods_get_405(string method)
    {
        using var response = await _app.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/webhooks/telnyx"));

        await AssertProblemAsync(response, 405, "method_not_allowed");
        Assert.Contains("POST", response.Content.Headers.Allow);
        await AssertNothingAcceptedAsync();
    }

    [Fact]
    public async Task Rejected_requests_are_recorded_with_their_reason_when_asked()
    {
        var body = TestSender.Body();
        using var response = await _app.PostAsync(body, Replace(_sender.Sign(body), TelnyxHeaders.Signature, Convert.ToBase64String(new byte[64])));

        var recorded = Assert.Single(await _app.Admin.ListRequestsAsync());
        Assert.Equal("rejected", recorded.Outcome);
        Assert.Equal(401, recorded.HttpStatus);
        Assert.Equal("signature_mismatch", recorded.Reason);
        Assert.Equal(body, recorded.Body);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, int status, string reason)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(reason, (string?)problem["reason"]);
        Assert.Equal(status, (int?)problem["status"]);
        Assert.False(string.IsNullOrEmpty((string?)problem["detail"]));
    }

    private async Task AssertNothingAcceptedAsync()
    {
        Assert.Empty(await _app.Admin.ListAsync());
        Assert.Equal(0, _sink.Total);
    }

    private static (byte[], IReadOnlyList<KeyValuePair<string, string>>, string, int, string) Signed(
        TestSender sender, Func<IEnumerable<KeyValuePair<string, string>>, IEnumerable<KeyValuePair<string, string>>> change, int status, string reason)
    {
        var body = TestSender.Body();
        return (body, [.. change(sender.Sign(body))], "application/json", status, reason);
    }

    private static (byte[], IReadOnlyList<KeyValuePair<string, string>>, string, int, string) SignedAt(TestSender sender, DateTimeOffset at, int status, string reason)
    {
        var body = TestSender.Body();
        return (body, sender.Sign(body, at), "application/json", status, reason);
    }

    private static (byte[], IReadOnlyList<KeyValuePair<string, string>>, string, int, string) SignedBody(TestSender sender, string text, int status, string reason)
    {
        var body = Encoding.UTF8.GetBytes(text);
        return (body, sender.Sign(body), "application/json", status, reason);
    }

    private static IReadOnlyList<KeyValuePair<string, string>> Replace(IEnumerable<KeyValuePair<string, string>> headers, string name, string value) =>
        [.. headers.Select(h => h.Key == name ? new KeyValuePair<string, string>(name, value) : h)];
}
