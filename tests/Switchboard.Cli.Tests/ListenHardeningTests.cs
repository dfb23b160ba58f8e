using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Cli.Commands;
using Switchboard.Events;
using Switchboard.Signing;

using Switchboard.Testing;

namespace Switchboard.Cli.Tests;

/// <summary>
/// <c>switchboard listen</c> under hostile or unlucky input: what it prints is safe for a terminal, its path is
/// routing's, what it stores and serves is bounded, failed forwards stay inside the tolerance and can be replayed.
/// </summary>
public sealed class ListenHardeningTests(WebhookSink app) : TempFolderTest, IClassFixture<WebhookSink>, IDisposable
{
    private readonly Ed25519PrivateKey _key = Ed25519PrivateKey.Generate();
    private readonly HttpClient _client = new();

    public new void Dispose()
    {
        _key.Dispose();
        _client.Dispose();
        base.Dispose();
    }

    private string[] Args(params string[] more) => ["--public-key", _key.PublicKey.ToBase64(), "--data", PathOf($"data-{Guid.NewGuid():N}"), .. more];

    [Fact]
    public async Task Its_data_folder_and_database_files_are_owner_only_after_start()
    {
        var data = PathOf("owner-only");
        await using var listen = await InProcessListen.StartAsync("--public-key", _key.PublicKey.ToBase64(), "--data", data);

        OwnerOnly.AssertFolder(data, ["telnyx-webhooks.db", "telnyx-webhooks.db-wal", "telnyx-webhooks.db-shm", "telnyx-webhooks.db.lock"]);
    }

    private async Task<HttpResponseMessage> PostAsync(string url, byte[] body, IEnumerable<KeyValuePair<string, string>> headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await _client.SendAsync(request);
    }

    private IReadOnlyList<KeyValuePair<string, string>> Sign(byte[] body) => new Ed25519WebhookSigner(_key).Sign(body, DateTimeOffset.UtcNow, "");

    /// <summary>listen forwarding to the app's <paramref name="appPath"/>, re-signing with <paramref name="listenKey"/> (<c>--forward-sign-key</c>).</summary>
    private Task<InProcessListen> StartResigningAsync(Ed25519PrivateKey listenKey, string appPath)
    {
        var keyFile = PathOf($"listen-{Guid.NewGuid():N}.key");
        listenKey.WriteToFile(keyFile);
        return InProcessListen.StartAsync(Args("--forward-to", app.Url(appPath), "--forward-sign-key", keyFile));
    }

    private static byte[] Webhook(out string id)
    {
        var data = SampleEvents.Create(EventTypes.MessageReceived, TimeProvider.System);
        id = data.Id;
        return new WebhookEnvelope { Data = data }.ToUtf8Bytes();
    }

    [Fact]
    public async Task A_webhook_posted_to_the_path_in_another_case_is_stored_and_printed()
    {
        await using var listen = await InProcessListen.StartAsync(Args());
        var body = Webhook(out var id);

        using var response = await PostAsync(listen.BaseUrl + "/Webhooks/Telnyx", body, Sign(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await listen.WaitForAsync(() => listen.Output.Contains($"200  accepted  message.received  {id}", StringComparison.Ordinal), "no line for the accepted webhook");
    }

    [Fact]
    public async Task A_request_to_no_route_is_printed_with_a_hint_and_the_inspector_is_not()
    {
        await using var listen = await InProcessListen.StartAsync(Args());

        using (await _client.PostAsync(listen.BaseUrl + "/webhook", new StringContent("{}"))) { }
        using (await _client.GetAsync(listen.BaseUrl + "/")) { }
        using (await _client.GetAsync(listen.BaseUrl + "/api/requests")) { }

        await listen.WaitForAsync(() => listen.Output.Contains("404  POST /webhook  (not the webhook path /webhooks/telnyx)", StringComparison.Ordinal), "no line for the stray request");
        Assert.DoesNotContain("GET /", listen.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nothing_a_request_carries_reaches_the_console_unescaped()
    {
        await using var listen = await InProcessListen.StartAsync(Args());
        string[] hostile = ["\\u0085", "\\u009b2J", "\\u202e", "\\u2028", "\\u2029", "\\u001b[31m", "\\u200b", "\\u2066"];
        foreach (var text in hostile)
        {
            // Unsigned: anyone can send these.
            var body = Encoding.UTF8.GetBytes($"{{\"data\":{{\"id\":\"id{text}x\",\"event_type\":\"message{text}.sent\",\"payload\":{{}}}}}}");
            using (await PostAsync(listen.BaseUrl + "/webhooks/telnyx", body, [])) { }
        }

        // Signed, so it gets as far as the parse, which refuses it.
        var signed = Encoding.UTF8.GetBytes("{\"data\":{\"id\":\"evil\\u009b31m\",\"event_type\":\"message.sent\",\"payload\":{}}}");
        using (var refused = await PostAsync(listen.BaseUrl + "/webhooks/telnyx", signed, Sign(signed)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        using (await PostAsync(listen.BaseUrl + "/webhooks/telnyx/%E2%80%AE%C2%9B%E2%80%A8", [], [])) { }
        using (await _client.GetAsync(listen.BaseUrl + "/nothing%C2%85here?q=%E2%80%AE")) { }

        await listen.WaitForAsync(() => listen.Output.Split('\n').Count(l => l.Contains("  4", StringComparison.Ordinal)) >= hostile.Length + 3, "not every request was printed");
        foreach (var (name, text) in new[] { ("stdout", listen.Output), ("stderr", listen.Error) })
        {
            var unsafeAt = text.Replace("\n", "", StringComparison.Ordinal).Select((c, i) => (c, i)).FirstOrDefault(x => TerminalText.ContainsUnsafe(x.c.ToString()));
            Assert.True(unsafeAt == default, $"{name} holds U+{(int)unsafeAt.c:X4}:\n{text}");
        }

        // Paths and queries are printed percent-encoded, as PathString writes them.
        Assert.Contains("404  GET /nothing%C2%85here?q=%E2%80%AE", listen.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unsigned_junk_is_kept_bounded_and_every_page_is_bounded()
    {
        await using var listen = await InProcessListen.StartAsync(Args("--keep", "120"));
        var junk = new byte[1024 * 1024];
        Array.Fill(junk, (byte)'j');
        var bogus = new[] { new KeyValuePair<string, string>(TelnyxHeaders.Timestamp, DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)), new(TelnyxHeaders.Signature, Convert.ToBase64String(new byte[64])) };
        for (var i = 0; i < 130; i++)
        {
            // 1 MiB bodies with a bogus signature, then small junk: more requests than the log keeps.
            using var response = await PostAsync(listen.BaseUrl + "/webhooks/telnyx", i < 30 ? junk : Encoding.UTF8.GetBytes($"junk {i}"), bogus);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        var page = await _client.GetStringAsync(listen.BaseUrl + "/");
        Assert.True(page.Length < 1024 * 1024, $"GET / is {page.Length} characters");
        var first = JsonNode.Parse(await _client.GetStringAsync(listen.BaseUrl + "/api/requests?page_size=100000"))!.AsArray();
        Assert.Equal(RequestJson.MaxPageSize, first.Count);
        var second = JsonNode.Parse(await _client.GetStringAsync(listen.BaseUrl + "/api/requests?page=2&page_size=100"))!.AsArray();
        Assert.Equal(20, second.Count);
        var large = second.Where(r => (long)r!["body_length"]! == junk.Length).ToList();
        Assert.Equal(20, large.Count);
        Assert.All(large, r =>
        {
            Assert.Equal(4096, ((string)r!["body"]!).Length);
            Assert.True((bool)r["body_truncated"]!);
        });
    }

    [Fact]
    public async Task A_forward_the_app_refuses_every_time_is_dead_lettered_visibly_and_can_be_replayed()
    {
        await using var listen = await InProcessListen.StartAsync(Args("--forward-to", app.Url("/status/500/refused"), "--forward-tries", "2"));
        var body = Webhook(out var id);
        using (var response = await PostAsync(listen.BaseUrl + "/webhooks/telnyx", body, Sign(body)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await listen.WaitForAsync(() => listen.Output.Contains("gave up", StringComparison.Ordinal), "the forward was not given up");
        var lines = listen.Output.Split('\n');
        Assert.Contains(lines, l => l.Contains($"forwarding {id} failed (try 1 of 2): HTTP 500; retrying within 1 s", StringComparison.Ordinal));
        var last = Assert.Single(lines, l => l.Contains($"forwarding {id} failed (try 2 of 2)", StringComparison.Ordinal));
        Assert.DoesNotContain("retrying", last, StringComparison.Ordinal);
        Assert.Contains($"gave up, dead-lettered; replay it with: curl -X POST {listen.BaseUrl}/api/events/{id}/replay", last, StringComparison.Ordinal);

        // The runner records the dead letter once the handler's last run has ended.
        var deadLettered = await Eventually.GetAsync(
            async () => JsonNode.Parse(await _client.GetStringAsync(listen.BaseUrl + "/api/events?state=DeadLettered"))!.AsArray(),
            events => events.Count > 0, "the dead letter to be recorded");

        var entry = Assert.Single(deadLettered);
        Assert.Equal(id, (string?)entry!["eventId"]);
        Assert.Equal("DeadLettered", (string?)entry["state"]);
        Assert.Contains(id, await _client.GetStringAsync(listen.BaseUrl + "/"), StringComparison.Ordinal);

        using (var replay = await _client.PostAsync($"{listen.BaseUrl}/api/events/{id}/replay", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        }

        await listen.WaitForAsync(() => app.RequestsTo("/status/500/refused").Count == 3, "the replay was not forwarded");
    }

    [Fact]
    public async Task With_a_key_of_its_own_listen_re_signs_each_forward_and_prints_the_public_key_to_trust()
    {
        using var listenKey = Ed25519PrivateKey.Generate();
        await using var listen = await StartResigningAsync(listenKey, "/app/resigned");
        Assert.Contains($"trust the public key {listenKey.PublicKey.ToBase64()}", listen.Output, StringComparison.Ordinal);
        var body = Webhook(out _);
        var original = new Ed25519WebhookSigner(_key).Sign(body, DateTimeOffset.UtcNow.AddSeconds(-200), "");

        using (var response = await PostAsync(listen.BaseUrl + "/webhooks/telnyx", body, original))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await listen.WaitForAsync(() => app.RequestsTo("/app/resigned").Count == 1, "nothing was forwarded");
        var forwarded = app.RequestsTo("/app/resigned")[0];
        Assert.Equal(body, forwarded.Body);
        var headers = new WebhookHeaders(forwarded.Headers);
        Assert.True(Ed25519WebhookVerifier.FromBase64([listenKey.PublicKey.ToBase64()], TimeProvider.System, TimeSpan.FromSeconds(30)).Verify(forwarded.Body, headers).IsValid);
        Assert.False(Ed25519WebhookVerifier.FromBase64([_key.PublicKey.ToBase64()]).Verify(forwarded.Body, headers).IsValid);
    }

    [Fact]
    public async Task Forward_again_refuses_a_request_whose_signature_was_not_verified()
    {
        using var listenKey = Ed25519PrivateKey.Generate();
        await using var listen = await StartResigningAsync(listenKey, "/app/forged");
        using (var unsigned = await PostAsync(listen.BaseUrl + "/webhooks/telnyx", Webhook(out _), []))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        }

        var id = (string)JsonNode.Parse(await _client.GetStringAsync(listen.BaseUrl + "/api/requests"))!.AsArray().Single()!["id"]!;
        using var forward = await _client.PostAsync($"{listen.BaseUrl}/requests/{id}/forward", null);

        Assert.Equal(HttpStatusCode.Conflict, forward.StatusCode);
        Assert.Contains("Not verified", await forward.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(app.RequestsTo("/app/forged"));
        Assert.DoesNotContain("Forward again", await _client.GetStringAsync($"{listen.BaseUrl}/requests/{id}"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(0.5)]
    [InlineData(60)]
    [InlineData(300)]
    public void Without_re_signing_every_try_starts_within_the_tolerance(double timeoutSeconds)
    {
        var timeout = TimeSpan.FromSeconds(timeoutSeconds);
        var tries = ListenForwarder.TriesFor(timeout, resigned: false);

        Assert.True(tries >= 1);
        Assert.True(ListenForwarder.LastTryStartsAfter(tries, timeout) <= TimeSpan.FromSeconds(240));
        Assert.True(tries == ListenForwarder.ResignedTries || ListenForwarder.LastTryStartsAfter(tries + 1, timeout) > TimeSpan.FromSeconds(240));
    }

    [Fact]
    public async Task More_tries_than_the_tolerance_allows_are_refused_without_re_signing()
    {
        var run = await Cli.Run(TimeProvider.System, ["listen", .. Args("--forward-to", app.Url("/app"), "--forward-tries", "20")]);

        Cli.AssertCleanFailure(run, 2, "--forward-tries", "300 s tolerance", "--forward-sign-key");
    }

    [Fact]
    public async Task Listening_beyond_loopback_puts_the_inspector_api_behind_the_login_token()
    {
        await using var listen = await InProcessListen.StartAsync(Args("--urls", "http://0.0.0.0:0"));
        var token = System.Text.RegularExpressions.Regex.Match(listen.Output, @"\?token=([A-Za-z0-9_-]+)\)").Groups[1].Value;
        var api = listen.BaseUrl.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal) + "/api/requests";

        Assert.Contains("need the login token", listen.Error, StringComparison.Ordinal);
        Assert.NotEmpty(token);
        using (var refused = await _client.GetAsync(api))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, api);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var allowed = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task An_endpoint_bound_through_configuration_decides_the_login_not_the_urls_asked_for()
    {
        // Kestrel's configuration binds a Unix socket in place of the loopback --urls: any local user may connect to it.
        var socket = Path.Combine(Path.GetTempPath(), $"sb-{Guid.NewGuid():N}.sock");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [ListenProcess.Cli, "listen", "--urls", "http://127.0.0.1:0", .. Args()]);
        start.Environment["Kestrel__Endpoints__Socket__Url"] = $"http://unix:{socket}";
        using var listen = await ChildProcess.StartAsync(start, line => line.StartsWith("Listening on", StringComparison.Ordinal), "listen to start on the socket");
        try
        {
            Assert.Contains($"unix:{socket}", listen.Ready!.Text, StringComparison.Ordinal);
            var token = System.Text.RegularExpressions.Regex.Match(listen.Ready.Text, @"\?token=([A-Za-z0-9_-]+)\)").Groups[1].Value;
            Assert.NotEmpty(token);

            using var client = new HttpClient(new SocketsHttpHandler
            {
                ConnectCallback = async (_, ct) =>
                {
                    var connection = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                    await connection.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(socket), ct);
                    return new System.Net.Sockets.NetworkStream(connection, ownsSocket: true);
                },
            });
            using (var page = await client.GetAsync("http://localhost/"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, "http://localhost/api/requests");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using var allowed = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }
        finally
        {
            File.Delete(socket);
        }
    }

    [Fact]
    public async Task On_loopback_there_is_no_login()
    {
        await using var listen = await InProcessListen.StartAsync(Args());

        Assert.DoesNotContain("token", listen.Output + listen.Error, StringComparison.Ordinal);
        using var answer = await _client.GetAsync(listen.BaseUrl + "/api/requests");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
    }

    [Fact]
    public async Task A_start_up_error_is_printed_once()
    {
        var run = await Cli.Run(TimeProvider.System, "listen", "--urls", "http://127.0.0.1:0", "--public-key", "c2hvcnQ=", "--data", PathOf("once"));

        Cli.AssertCleanFailure(run, 1, "PublicKeys[0]");
        Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
