using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Events;
using Switchboard.Signing;
using Switchboard.Testing;

namespace Switchboard.Cli.Tests;

/// <summary><c>switchboard listen</c> in-process on a free port, with a local app to forward to.</summary>
public sealed class ListenCommandTests : TempFolderTest, IAsyncLifetime
{
    private readonly Ed25519PrivateKey _key = Ed25519PrivateKey.Generate();
    private readonly WebhookSink _app = new();
    private readonly HttpClient _client = new();
    private InProcessListen _listen = null!;
    private string _baseUrl = "";

    public async Task InitializeAsync()
    {
        await _app.InitializeAsync();
        // A forward timeout no busy test machine reaches: a forward that timed out would be retried, and these tests count forwards.
        _listen = await InProcessListen.StartAsync(
            "--public-key", _key.PublicKey.ToBase64(), "--data", PathOf("data"),
            "--forward-to", _app.Url("/app/webhooks"), "--forward-timeout", "60");
        _baseUrl = _listen.BaseUrl;
    }

    public async Task DisposeAsync()
    {
        await _listen.DisposeAsync();
        await _app.DisposeAsync();
        _client.Dispose();
        _key.Dispose();
    }

    private string Output => _listen.Output;

    private async Task<HttpResponseMessage> PostAsync(byte[] body, IEnumerable<KeyValuePair<string, string>> headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _baseUrl + "/webhooks/telnyx") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await _client.SendAsync(request);
    }

    [Fact]
    public async Task Listen_stores_every_request_prints_a_line_each_and_forwards_verified_webhooks_untouched()
    {
        var webhook = new WebhookEnvelope { Data = SampleEvents.Create(EventTypes.MessageReceived, TimeProvider.System) };
        var body = webhook.ToUtf8Bytes();
        var headers = new Ed25519WebhookSigner(_key).Sign(body, DateTimeOffset.UtcNow, "");
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("\"data\"", "\"data\" ", StringComparison.Ordinal));

        using (var ok = await PostAsync(body, headers))
        using (var duplicate = await PostAsync(body, headers))
        using (var bad = await PostAsync(tampered, headers))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal(HttpStatusCode.OK, duplicate.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        }

        await Eventually.TrueAsync(
            () => _app.RequestsTo("/app/webhooks").Count > 0 && Output.Contains("-> forwarded", StringComparison.Ordinal),
            "the webhook to be forwarded");

        var forwarded = Assert.Single(_app.RequestsTo("/app/webhooks"));
        Assert.Equal(body, forwarded.Body);
        foreach (var (name, value) in headers)
        {
            Assert.Equal(value, forwarded.Headers[name]);
        }

        var lines = Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.Contains("200  accepted", StringComparison.Ordinal) && l.Contains(webhook.Data.Id, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("200  duplicate", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("401  rejected", StringComparison.Ordinal) && l.Contains("signature_mismatch", StringComparison.Ordinal));

        var requests = JsonNode.Parse(await _client.GetStringAsync(_baseUrl + "/api/requests"))!.AsArray();
        Assert.Equal(3, requests.Count);
        Assert.Equal(["rejected", "duplicate", "accepted"], requests.Select(r => (string)r!["outcome"]!));
        Assert.Equal("signature_mismatch", (string?)requests[0]!["verification"]);
        Assert.Equal(Encoding.UTF8.GetString(tampered), (string?)requests[0]!["body"]);

        var page = await _client.GetStringAsync(_baseUrl + "/");
        Assert.Contains("signature_mismatch", page, StringComparison.Ordinal);
        Assert.Contains(webhook.Data.Id, page, StringComparison.Ordinal);

        // Requests turned away before their body is kept are recorded too, with their headers.
        using (var get = await _client.GetAsync(_baseUrl + "/webhooks/telnyx"))
        using (var text = await _client.PostAsync(_baseUrl + "/webhooks/telnyx", new StringContent("hello", Encoding.UTF8, "text/plain")))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        }

        requests = JsonNode.Parse(await _client.GetStringAsync(_baseUrl + "/api/requests"))!.AsArray();
        Assert.Equal(5, requests.Count);
        Assert.Contains(requests, r => (string?)r!["reason"] == "method_not_allowed" && (int)r!["http_status"]! == 405);
        Assert.Contains(requests, r => (string?)r!["reason"] == "unsupported_media_type" && (int)r!["http_status"]! == 415);
    }

    [Fact]
    public async Task A_forward_the_app_does_not_answer_within_the_forward_timeout_is_cut_off_and_retried()
    {
        await using var listen = await InProcessListen.StartAsync(
            "--public-key", _key.PublicKey.ToBase64(), "--data", PathOf("slow"), "--forward-to", _app.Url("/hang/app"), "--forward-timeout", "0.5");
        var webhook = new WebhookEnvelope { Data = SampleEvents.Create(EventTypes.MessageReceived, TimeProvider.System) };
        var body = webhook.ToUtf8Bytes();
        using (var request = new HttpRequestMessage(HttpMethod.Post, listen.BaseUrl + "/webhooks/telnyx") { Content = new ByteArrayContent(body) })
        {
            request.Content.Headers.ContentType = new("application/json");
            foreach (var (name, value) in new Ed25519WebhookSigner(_key).Sign(body, DateTimeOffset.UtcNow, ""))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            using var answer = await _client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        // The app never answers: each forward is cut off after half a second (not the default 5 s) and tried again.
        await listen.WaitForAsync(() => listen.Output.Contains($"forwarding {webhook.Data.Id} failed (try 2 of 8)", StringComparison.Ordinal), "the forward to be retried");
        Assert.Contains($"forwarding {webhook.Data.Id} failed (try 1 of 8): Timeout", listen.Output, StringComparison.Ordinal);
        Assert.Contains("retrying within 1 s", listen.Output, StringComparison.Ordinal);
        Assert.Contains("500 ms", listen.Output, StringComparison.Ordinal);
        Assert.True(_app.RequestsTo("/hang/app").Count >= 2);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("soon")]
    [InlineData("301")] // past the HTTP sender's 5 minutes
    public async Task A_forward_timeout_that_is_not_a_positive_number_of_seconds_is_refused(string timeout)
    {
        var run = await Cli.Run(TimeProvider.System, "listen", "--public-key", _key.PublicKey.ToBase64(), "--data", PathOf("refused"), "--forward-timeout", timeout);

        Cli.AssertCleanFailure(run, 1, "--forward-timeout");
    }

    [Theory]
    [InlineData("23h")] // under a day: duplicates are recognised only while events are kept
    [InlineData("forever")]
    public async Task A_retention_that_is_not_a_duration_of_a_day_or_more_is_refused(string retention)
    {
        var run = await Cli.Run(TimeProvider.System, "listen", "--public-key", _key.PublicKey.ToBase64(), "--data", PathOf("refused"), "--retention", retention);

        Cli.AssertCleanFailure(run, 1, "--retention");
    }

    [Theory]
    [InlineData("no-slash")]
    [InlineData("")]
    [InlineData("/{id}")]
    [InlineData("/webhooks/*")]
    [InlineData("/a b")]
    [InlineData("/x?y=1")]
    public async Task A_path_that_is_not_a_literal_url_path_is_refused(string path)
    {
        var run = await Cli.Run(TimeProvider.System, "listen", "--public-key", _key.PublicKey.ToBase64(), "--data", PathOf("refused"), "--path", path);

        Cli.AssertCleanFailure(run, 2, "--path");
    }

    [Fact]
    public async Task A_bad_public_key_is_a_clean_start_up_error()
    {
        var run = await Cli.Run(TimeProvider.System, "listen", "--urls", "http://127.0.0.1:0", "--public-key", "c2hvcnQ=", "--data", PathOf("other"));

        Cli.AssertCleanFailure(run, 1, "PublicKeys[0]");
    }

    [Fact]
    public async Task A_data_directory_that_cannot_hold_the_inbox_is_a_clean_start_up_error()
    {
        using var key = Ed25519PrivateKey.Generate();
        var file = WriteFile("a-file", [1]);

        var run = await Cli.Run(TimeProvider.System, "listen", "--urls", "http://127.0.0.1:0", "--public-key", key.PublicKey.ToBase64(), "--data", Path.Combine(file, "data"));

        Cli.AssertCleanFailure(run, 1, "cannot start", "inbox cannot be opened", file);
        Assert.DoesNotContain("Listening on", run.Output, StringComparison.Ordinal);
    }
}
