using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Events;
using Switchboard.Signing;
using Switchboard.Testing;

namespace Switchboard.Cli.Tests;

/// <summary><c>switchboard trigger</c> against a real HTTP listener on 127.0.0.1.</summary>
public sealed class TriggerCommandTests(WebhookSink receiver) : TempFolderTest, IClassFixture<WebhookSink>
{
    private static readonly DateTimeOffset Now = new(2025, 10, 24, 18, 10, 2, 574, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Now);

    public static TheoryData<string> NineEventTypes => [.. EventTypes.All];

    private string UniqueUrl(string prefix = "hooks") => receiver.Url($"/{prefix}/{Guid.NewGuid():N}");

    private async Task<(string KeyPath, string PublicKey)> GenerateKeys()
    {
        var run = await Cli.Run(_time, "keys", "generate", "--out", PathOf("keys"));
        Assert.True(run.ExitCode == 0, run.ToString());
        return (PathOf("keys/ed25519.key"), run.Output.Trim());
    }

    private Task<CliRun> Trigger(string eventType, string url, string keyPath, params string[] extra) =>
        Cli.Run(_time, ["trigger", eventType, "--to", url, "--key", keyPath, .. extra]);

    private SinkRequest SingleRequestTo(string url) =>
        Assert.Single(receiver.RequestsTo(new Uri(url).PathAndQuery));

    [Theory]
    [MemberData(nameof(NineEventTypes))]
    public async Task Posts_a_freshly_signed_sample_of_each_event_type(string eventType)
    {
        var (keyPath, publicKey) = await GenerateKeys();
        var url = UniqueUrl();

        var run = await Trigger(eventType, url, keyPath);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("200", run.Output, StringComparison.Ordinal);
        var request = SingleRequestTo(url);
        Assert.Equal("POST", request.Method);
        Assert.Equal("application/json", request.Headers["Content-Type"]);
        Assert.StartsWith("Switchboard/", request.Headers["User-Agent"], StringComparison.Ordinal);

        var verification = Ed25519WebhookVerifier.FromBase64([publicKey], _time).Verify(request.Body, new WebhookHeaders(request.Headers));
        Assert.True(verification.IsValid, verification.ToString());

        Assert.True(WebhookEnvelope.TryParse(request.Body, out var envelope, out var error), error);
        Assert.Equal(eventType, envelope.Data.EventType);
        Assert.True(Guid.TryParse(envelope.Data.Id, out _));
        Assert.Equal(Now, envelope.Data.OccurredAt);
        Assert.Equal(1, envelope.Meta!.Attempt);
        Assert.Equal(url, envelope.Meta.DeliveredTo);
        Assert.NotNull(envelope.Data.Payload.Deserialize(EventsJsonContext.Default.GetTypeInfo(EventTypes.PayloadTypeOf(eventType)!)!));
        Assert.Contains(envelope.Data.Id, run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_trigger_has_a_fresh_data_id()
    {
        var (keyPath, _) = await GenerateKeys();
        var url = UniqueUrl();

        Assert.Equal(0, (await Trigger(EventTypes.MessageSent, url, keyPath)).ExitCode);
        Assert.Equal(0, (await Trigger(EventTypes.MessageSent, url, keyPath)).ExitCode);

        var ids = receiver.RequestsTo(new Uri(url).PathAndQuery)
            .Select(r => JsonNode.Parse(r.Body)!["data"]!["id"]!.GetValue<string>())
            .ToArray();
        Assert.Equal(2, ids.Length);
        Assert.NotEqual(ids[0], ids[1]);
    }

    [Fact]
    public async Task Set_overrides_land_in_the_signed_body()
    {
        var (keyPath, publicKey) = await GenerateKeys();
        var url = UniqueUrl();

        var run = await Trigger(EventTypes.MessageReceived, url, keyPath,
            "--set", "data.payload.text=hi", "--set", "data.payload.parts:=3", "--set", "data.payload.to.0.status=delivered",
            "--set", "data.payload.brand_new.nested=yes");

        Assert.True(run.ExitCode == 0, run.ToString());
        var request = SingleRequestTo(url);
        var payload = JsonNode.Parse(request.Body)!["data"]!["payload"]!;
        Assert.Equal("hi", payload["text"]!.GetValue<string>());
        Assert.Equal(JsonValueKind.Number, payload["parts"]!.GetValueKind());
        Assert.Equal(3, payload["parts"]!.GetValue<int>());
        Assert.Equal("delivered", payload["to"]![0]!["status"]!.GetValue<string>());
        Assert.Equal("yes", payload["brand_new"]!["nested"]!.GetValue<string>());
        Assert.True(Ed25519WebhookVerifier.FromBase64([publicKey], _time).Verify(request.Body, new WebhookHeaders(request.Headers)).IsValid);
    }

    [Fact]
    public async Task Body_is_written_as_telnyx_writes_it()
    {
        var (keyPath, _) = await GenerateKeys();
        var url = UniqueUrl() + "?tenant=a&b=c";

        Assert.Equal(0, (await Trigger(EventTypes.MessageSent, url, keyPath, "--set", "data.payload.text=Caf\u00e9 <3 \u260E")).ExitCode);

        var body = Encoding.UTF8.GetString(SingleRequestTo(url).Body);
        Assert.Contains("\"phone_number\":\"+18445550001\"", body, StringComparison.Ordinal);
        Assert.Contains("\"text\":\"Caf\u00e9 <3 \u260E\"", body, StringComparison.Ordinal);
        Assert.Contains("?tenant=a&b=c\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delivered_to_is_the_url_requested_even_with_escapes_in_it()
    {
        var (keyPath, _) = await GenerateKeys();
        var url = UniqueUrl() + "?token=a%2Bb%20c";

        Assert.Equal(0, (await Trigger(EventTypes.CallAnswered, url, keyPath)).ExitCode);

        var envelope = JsonNode.Parse(SingleRequestTo(url).Body)!;
        Assert.Equal(url, envelope["meta"]!["delivered_to"]!.GetValue<string>());
    }

    [Fact]
    public async Task Non_2xx_answer_exits_1_and_shows_the_status()
    {
        var (keyPath, _) = await GenerateKeys();
        var url = UniqueUrl("status/500");

        var run = await Trigger(EventTypes.CallHangup, url, keyPath);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("500", run.Output, StringComparison.Ordinal);
        Assert.Single(receiver.RequestsTo(new Uri(url).PathAndQuery));
    }

    [Fact]
    public async Task Redirects_are_failures_and_are_not_followed()
    {
        var (keyPath, _) = await GenerateKeys();
        var url = UniqueUrl("status/302");

        var run = await Trigger(EventTypes.MessageSent, url, keyPath);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("302", run.Output, StringComparison.Ordinal);
        Assert.Single(receiver.RequestsTo(new Uri(url).PathAndQuery));
        Assert.Empty(receiver.RequestsTo("/elsewhere"));
    }

    [Fact]
    public async Task Refused_connection_exits_1_with_a_message()
    {
        var (keyPath, _) = await GenerateKeys();
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
        }

        var run = await Trigger(EventTypes.MessageSent, $"http://127.0.0.1:{port}/hook", keyPath);

        Cli.AssertCleanFailure(run, 1, $"127.0.0.1:{port}", "refused");
    }

    [Fact]
    public async Task No_answer_before_the_timeout_exits_1_with_a_message()
    {
        var (keyPath, _) = await GenerateKeys();

        var run = await Trigger(EventTypes.MessageSent, UniqueUrl("hang"), keyPath, "--timeout", "0.3");

        Cli.AssertCleanFailure(run, 1, "no response before the timeout");
    }

    [Theory]
    [InlineData("no-equals-sign", "is not PATH=VALUE")]
    [InlineData("=value", "is not PATH=VALUE")]
    [InlineData("data.payload.parts:=three", "not JSON")]
    [InlineData("data.payload.to.5.status=x", "past the end")]
    [InlineData("data.payload.text.inner=x", "'data.payload.text' is not an object or array")]
    public async Task Invalid_set_is_a_clear_error_and_sends_nothing(string assignment, string message)
    {
        var (keyPath, _) = await GenerateKeys();
        var url = UniqueUrl();

        var run = await Trigger(EventTypes.MessageSent, url, keyPath, "--set", assignment);

        Cli.AssertCleanFailure(run, 2, "--set", message);
        Assert.Empty(receiver.RequestsTo(new Uri(url).PathAndQuery));
    }

    [Fact]
    public async Task Unknown_event_type_is_refused_naming_the_known_ones()
    {
        var (keyPath, _) = await GenerateKeys();

        var run = await Trigger("call.speak.ended", UniqueUrl(), keyPath);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("call.speak.ended", run.Error, StringComparison.Ordinal);
        Assert.Contains("message.sent", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/hook")]
    [InlineData("hooks/local")]
    public async Task Url_that_is_not_absolute_http_is_refused(string url)
    {
        var (keyPath, _) = await GenerateKeys();
        Cli.AssertCleanFailure(await Trigger(EventTypes.MessageSent, url, keyPath), 1, "--to", "absolute http", url);
    }

    [Fact]
    public async Task Url_with_an_invisible_format_character_is_refused_and_printed_escaped()
    {
        var (keyPath, _) = await GenerateKeys();
        var url = $"{UniqueUrl()}/\u202Egpj.exe";

        var run = await Trigger(EventTypes.MessageSent, url, keyPath);

        Cli.AssertCleanFailure(run, 1, "--to", "absolute http", "\\u202E");
        Assert.DoesNotContain('\u202E', run.Error);
        Assert.Empty(receiver.RequestsTo(new Uri(url).PathAndQuery));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1e300")]
    [InlineData("soon")]
    public async Task Timeout_that_is_not_a_positive_number_of_seconds_is_refused(string timeout)
    {
        var (keyPath, _) = await GenerateKeys();
        Cli.AssertCleanFailure(await Trigger(EventTypes.MessageSent, UniqueUrl(), keyPath, "--timeout", timeout), 1, "--timeout");
    }

    [Fact]
    public async Task Bad_key_file_is_a_clear_error()
    {
        var key = WriteFile("bad.key", "-----BEGIN PRIVATE KEY-----\n"u8.ToArray());
        Cli.AssertCleanFailure(await Trigger(EventTypes.MessageSent, UniqueUrl(), key), 1, "bad.key", "not base64 of 32 bytes");
        Cli.AssertCleanFailure(await Trigger(EventTypes.MessageSent, UniqueUrl(), PathOf("none.key")), 1, "none.key");
    }

    [Fact]
    public async Task The_id_printed_is_the_id_sent_after_overrides()
    {
        var (keyPath, _) = await GenerateKeys();
        var url = UniqueUrl();

        var run = await Trigger(EventTypes.MessageSent, url, keyPath, "--set", "data.id=my-own-id");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("my-own-id", JsonNode.Parse(SingleRequestTo(url).Body)!["data"]!["id"]!.GetValue<string>());
        Assert.StartsWith($"{EventTypes.MessageSent} my-own-id -> ", run.OutputLines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prints_the_receivers_answer_accepted_duplicate_or_the_reason_it_was_refused()
    {
        var (keyPath, publicKey) = await GenerateKeys();
        await using var listen = await InProcessListen.StartAsync("--public-key", publicKey, "--data", PathOf("listen"));
        var url = listen.BaseUrl + "/webhooks/telnyx";

        // Signed now: the receiver checks the timestamp against its own clock.
        Task<CliRun> Now(string key, params string[] extra) => Cli.Run(TimeProvider.System, ["trigger", EventTypes.MessageReceived, "--to", url, "--key", key, .. extra]);
        var accepted = await Now(keyPath, "--set", "data.id=answer-1");
        var duplicate = await Now(keyPath, "--set", "data.id=answer-1");
        using var other = Ed25519PrivateKey.Generate();
        var otherKey = PathOf("other.key");
        other.WriteToFile(otherKey);
        var refused = await Now(otherKey);

        Assert.True(accepted.ExitCode == 0, accepted.ToString());
        Assert.EndsWith(": accepted", accepted.OutputLines[1], StringComparison.Ordinal);
        Assert.True(duplicate.ExitCode == 0, duplicate.ToString());
        Assert.EndsWith(": duplicate", duplicate.OutputLines[1], StringComparison.Ordinal);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.StartsWith("401 Unauthorized", refused.OutputLines[1], StringComparison.Ordinal);
        Assert.Contains(": rejected: signature_mismatch (signature does not match", refused.OutputLines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_public_key_file_given_as_the_key_is_refused()
    {
        var (keyPath, publicKey) = await GenerateKeys();
        var url = UniqueUrl();
        var copy = WriteFile("copy.key", Encoding.ASCII.GetBytes(publicKey + "\n"));
        WriteFile("copy.pub", Encoding.ASCII.GetBytes(publicKey + "\n"));

        Cli.AssertCleanFailure(await Trigger(EventTypes.MessageSent, url, Path.ChangeExtension(keyPath, ".pub")), 1, "is a public key", "ed25519.key");
        Cli.AssertCleanFailure(await Trigger(EventTypes.MessageSent, url, copy), 1, "is a public key");
        Cli.AssertCleanFailure(await Cli.Run(_time, "sign", "--key", Path.ChangeExtension(keyPath, ".pub"), "--body", keyPath), 1, "is a public key");
        Assert.Empty(receiver.RequestsTo(new Uri(url).PathAndQuery));
    }

    [Fact]
    public async Task Wait_keeps_trying_to_connect_until_the_listener_is_up()
    {
        var (keyPath, publicKey) = await GenerateKeys();
        var free = new TcpListener(IPAddress.Loopback, 0);
        free.Start();
        var port = ((IPEndPoint)free.LocalEndpoint).Port;
        free.Stop();

        var trigger = Cli.Run(TimeProvider.System, "trigger", EventTypes.MessageSent, "--to", $"http://127.0.0.1:{port}/webhooks/telnyx", "--key", keyPath, "--wait", "60");
        await Task.Delay(1000); // nothing listens on the port for at least this long after trigger started
        await using var listen = await InProcessListen.StartAsync("--urls", $"http://127.0.0.1:{port}", "--public-key", publicKey, "--data", PathOf("wait"));
        var run = await trigger;

        // Accepted by a listener that came up a second or more after trigger started: it kept trying until then.
        // (No "not completed yet" check: on a slow machine that passes whether or not trigger waits.)
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.EndsWith(": accepted", run.OutputLines[1], StringComparison.Ordinal);
    }
}
