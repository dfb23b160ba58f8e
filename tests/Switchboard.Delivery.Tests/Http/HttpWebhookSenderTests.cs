using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Delivery.Http;
using Switchboard.Events;
using Switchboard.Testing;

namespace Switchboard.Delivery.Tests.Http;

/// <summary>Real HTTP against endpoints on 127.0.0.1 that answer well and badly.</summary>
public sealed class HttpWebhookSenderTests(WebhookSink server) : IClassFixture<WebhookSink>
{
    private static readonly KeyValuePair<string, string>[] s_signedHeaders =
    [
        new("telnyx-signature-ed25519", "c2lnbmF0dXJl"),
        new("telnyx-timestamp", "1761329402"),
    ];

    private const int FiftyMegabytes = 50 * 1024 * 1024;

    private static HttpWebhookSender LoopbackSender(TimeProvider? time = null, TimeSpan? timeout = null) =>
        new(new HttpWebhookSenderOptions { AllowPrivateNetworks = true, Timeout = timeout ?? TimeSpan.FromSeconds(30) }, time);

    /// <summary>Sends, waits until <paramref name="reached"/> says the exchange got where the test wants it, then moves the fake clock past the timeout.</summary>
    private static async Task<SendOutcome> SendTimingOutOnceAsync(HttpWebhookSender sender, Uri url, Task reached, FakeTimeProvider time, TimeSpan timeout)
    {
        Task<SendOutcome> sending = sender.SendAsync(Post(url), CancellationToken.None);
        await reached.WaitAsync(TimeSpan.FromSeconds(30));
        time.Advance(timeout);
        return await sending.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static SendRequest Post(Uri url, ReadOnlyMemory<byte> body = default) =>
        new(url, body.IsEmpty ? "{\"data\":{}}"u8.ToArray() : body, s_signedHeaders);

    [Fact]
    public async Task A_200_succeeds_and_the_endpoint_gets_the_exact_bytes_and_headers()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 10, 24, 18, 10, 2, TimeSpan.Zero));
        byte[] padded = Encoding.UTF8.GetBytes("xx{\"data\":{\"text\":\"héllo ✓ 👋\"},\"meta\":{\"attempt\":1}}yy");
        ReadOnlyMemory<byte> body = padded.AsMemory(2, padded.Length - 4);
        Uri url = server.Map(new SinkResponse(200, "ok") { Headers = response => response.Headers["X-Seen"] = "yes" });
        using var sender = LoopbackSender(time);

        SendOutcome outcome = await sender.SendAsync(Post(url, body), CancellationToken.None);

        SinkRequest request = await server.FirstAsync(url);
        Assert.Equal("POST", request.Method);
        Assert.Equal(body.ToArray(), request.Body);
        Assert.Equal("application/json", request.Headers["Content-Type"]);
        Assert.Equal(ProductInfo.UserAgent, request.Headers["User-Agent"]);
        Assert.Equal("c2lnbmF0dXJl", request.Headers["telnyx-signature-ed25519"]);
        Assert.Equal("1761329402", request.Headers["telnyx-timestamp"]);
        Assert.False(request.Headers.ContainsKey("Cookie"));

        Assert.True(outcome.Succeeded);
        Assert.Equal(SendErrorKind.None, outcome.Error);
        Assert.Null(outcome.ErrorDetail);
        Assert.Equal(200, outcome.StatusCode);
        Assert.Equal("ok", outcome.ResponseBody);
        Assert.Equal(url, outcome.Url);
        Assert.Equal(time.GetUtcNow(), outcome.StartedAt);
        Assert.Equal(time.GetUtcNow(), outcome.FinishedAt);
        Assert.Contains(new KeyValuePair<string, string>("X-Seen", "yes"), outcome.ResponseHeaders);
        Assert.Contains(new KeyValuePair<string, string>("Content-Length", "2"), outcome.ResponseHeaders);
        Assert.Contains(new KeyValuePair<string, string>("telnyx-timestamp", "1761329402"), outcome.RequestHeaders);
        Assert.Contains(new KeyValuePair<string, string>("User-Agent", ProductInfo.UserAgent), outcome.RequestHeaders);
        Assert.Contains(new KeyValuePair<string, string>("Content-Type", "application/json"), outcome.RequestHeaders);
        Assert.Contains(new KeyValuePair<string, string>("Content-Length", body.Length.ToString()), outcome.RequestHeaders);
        Assert.Null(outcome.RetryAfter);
    }

    [Fact]
    public async Task Our_trace_context_is_not_sent_to_the_endpoint()
    {
        Uri url = server.Map(new SinkResponse(200));
        using var sender = LoopbackSender();
        using var activity = new Activity("dispatch").SetIdFormat(ActivityIdFormat.W3C).Start();

        SendOutcome outcome = await sender.SendAsync(Post(url), CancellationToken.None);

        Assert.True(outcome.Succeeded);
        Assert.False((await server.FirstAsync(url)).Headers.ContainsKey("traceparent"));
    }

    [Fact]
    public async Task A_204_succeeds_with_an_empty_body()
    {
        Uri url = server.Map(new SinkResponse(204));
        using var sender = LoopbackSender();

        SendOutcome outcome = await sender.SendAsync(Post(url), CancellationToken.None);

        await server.FirstAsync(url);
        Assert.True(outcome.Succeeded);
        Assert.Equal(204, outcome.StatusCode);
        Assert.Equal("", outcome.ResponseBody);
    }

    [Fact]
    public async Task A_500_fails_with_its_status_and_body()
    {
        Uri url = server.Map(new SinkResponse(500, "{\"error\":\"boom\"}"));
        using var sender = LoopbackSender();

        SendOutcome outcome = await sender.SendAsync(Post(url), CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Equal(SendErrorKind.HttpStatus, outcome.Error);
        Assert.Equal(500, outcome.StatusCode);
        Assert.Equal("{\"error\":\"boom\"}", outcome.ResponseBody);
        Assert.Contains("500", outcome.ErrorDetail);
    }

    [Fact]
    public async Task A_302_fails_and_its_location_is_never_requested()
    {
        int targetHits = 0;
        Uri target = server.Map(context =>
        {
            Interlocked.Increment(ref targetHits);
            return Task.CompletedTask;
        });
        Uri url = server.Map(new SinkResponse(302) { Headers = response => response.Headers.Location = target.ToString() });
        using var sender = LoopbackSender();

        SendOutcome outcome = await sender.SendAsync(Post(url), CancellationToken.None);

        await server.FirstAsync(url);
        Assert.False(outcome.Succeeded);
        Assert.Equal(SendErrorKind.HttpStatus, outcome.Error);
        Assert.Equal(302, outcome.StatusCode);
        Assert.Contains(new KeyValuePair<string, string>("Location", target.ToString()), outcome.ResponseHeaders);
        Assert.Contains("not followed", outcome.ErrorDetail);
        Assert.Equal(0, Volatile.Read(ref targetHits));
    }

    [Theory]
    [InlineData(429, "120", 120)]
    [InlineData(503, "7", 7)]
    [InlineData(429, "0", 0)]
    public async Task Retry_after_seconds_on_429_and_503_is_reported(int status, string retryAfter, int expectedSeconds)
    {
        Uri url = server.Map(new SinkResponse(status) { Headers = response => response.Headers.RetryAfter = retryAfter });
        using var sender = LoopbackSender();

        SendOutcome outcome = await sender.SendAsync(Post(url), CancellationToken.None);

        Assert.Equal(SendErrorKind.HttpStatus, outcome.Error);
        Assert.Equal(status, outcome.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), outcome.RetryAfter);
    }

    [Theory]
    [InlineData(429, 90, 90)]
    [InlineData(503, 3600, 3600)]
    [InlineData(503, -30, 0)]
    public async Task Retry_after_date_is_taken_relative_to_the_injected_clock(int status, int offsetSeconds, int expectedSeconds)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 10, 24, 18, 10, 2, TimeSpan.Zero));
        string date = time.GetUtcNow().AddSeconds(offsetSeconds).ToString("r");
        Uri url = server.Map(new SinkResponse(status) { Headers = response => response.Headers.RetryAfter = date });
        using var sender = LoopbackSender(time);

        SendOutcome outcome = await sender.SendAsync(Post(url), CancellationToken.None);

        Assert.Equal(status, outcome.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), outcome.RetryAfter);
    }

    [Theory]
    [InlineData(500, "30")]
    [InlineData(429, "soon")]
    public async Task Retry_after_is_ignored_on_other_statuses_and_when_unreadable(int status, string retryAfter)
    {
        Uri url = server.Map(new SinkResponse(status) { Headers = response => response.Headers.RetryAfter = retryAfter });
        using var sender = LoopbackSender();

        SendOutcome outcome = await sender.SendAsync(Post(url), CancellationToken.None);

        Assert.Equal(status, outcome.StatusCode);
        Assert.Null(outcome.RetryAfter);
    }

    [Fact]
    public async Task An_endpoint_slower_than_the_timeout_is_a_timeout()
    {
        // The timeout runs on a fake clock, moved on only once the endpoint has the request. On the real clock a busy
        // machine can use up the whole timeout before the connection is even opened: no request ever reaches the
        // endpoint, and there is nothing to hang up on. The connect timeout (the same setting) stays on the real
        // clock, hence 10 s rather than something short.
        var time = new FakeTimeProvider();
        var timeout = TimeSpan.FromSeconds(10);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var serverSawAbort = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Uri url = server.Map(async context =>
        {
            arrived.TrySetResult();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(60), context.RequestAborted);
                context.Response.StatusCode = 200;
            }
            catch (OperationCanceledException)
            {
                serverSawAbort.TrySetResult();
            }
        });
        using var sender = LoopbackSender(time, timeout);

        SendOutcome outcome = await SendTimingOutOnceAsync(sender, url, arrived.Task, time, timeout);

        Assert.Equal(SendErrorKind.Timeout, outcome.Error);
        Assert.Null(outcome.StatusCode);
        Assert.Contains("10000 ms", outcome.ErrorDetail);
        await serverSawAbort.Task.WaitAsync(TimeSpan.FromSeconds(30)); // we hung up: the endpoint is not left waiting
    }

    [Fact]
    public async Task A_body_that_stalls_after_the_headers_is_a_timeout_with_the_status_kept()
    {
        // As above, the timeout runs on a fake clock (10 s for the real-clock connect timeout), here moved on only once
        // the client has the response headers. On the real clock a busy machine can use up the timeout before they
        // arrive, and then there is no status to keep. The endpoint having flushed them is not enough: the client may
        // not have read them yet. SocketsHttpHandler records http.client.request.duration as it hands the response
        // (headers read, body not) back to the sender, so that measurement for this server's port is the signal.
        var time = new FakeTimeProvider();
        var timeout = TimeSpan.FromSeconds(10);
        Uri url = server.Map(async context =>
        {
            context.Response.StatusCode = 200;
            context.Response.ContentLength = 100;
            await context.Response.WriteAsync("partial");
            await context.Response.Body.FlushAsync();
            await Task.Delay(TimeSpan.FromSeconds(60), context.RequestAborted);
        });
        var headersReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument is { Meter.Name: "System.Net.Http", Name: "http.client.request.duration" }) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "server.port" && Equals(tag.Value, url.Port)) headersReceived.TrySetResult();
            }
        });
        listener.Start();
        using var sender = LoopbackSender(time, timeout);

        SendOutcome outcome = await SendTimingOutOnceAsync(sender, url, headersReceived.Task, time, timeout);

        Assert.False(outcome.Succeeded);
        Assert.Equal(SendErrorKind.Timeout, outcome.Error);
        Assert.Contains("10000 ms", outcome.ErrorDetail);
        Assert.Equal(200, outcome.StatusCode);
    }

    [Fact]
    public async Task A_closed_port_is_connection_refused()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var sender = LoopbackSender();

        SendOutcome outcome = await sender.SendAsync(Post(new Uri($"http://127.0.0.1:{port}/hook")), CancellationToken.None);

        Assert.Equal(SendErrorKind.ConnectionRefused, outcome.Error);
        Assert.Null(outcome.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(outcome.ErrorDetail));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial body", true)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Le", true)]
    [InlineData("", true)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly this", false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Le", false)]
    public async Task A_connection_reset_or_closed_mid_response_is_a_reset(string partialResponse, bool tcpReset)
    {
        await using var endpoint = new RawTcpServer(async socket =>
        {
            await RawTcpServer.ReadRequestAsync(socket);
            await socket.SendAsync(Encoding.ASCII.GetBytes(partialResponse));
            if (tcpReset)
            {
                RawTcpServer.Reset(socket);
            }
            else
            {
                socket.Shutdown(SocketShutdown.Both);
            }
        });
        using var sender = LoopbackSender();

        SendOutcome outcome = await sender.SendAsync(Post(endpoint.Url), CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Equal(SendErrorKind.Reset, outcome.Error);
    }

    [Fact]
    public async Task An_answer_that_is_not_http_is_other()
    {
        await using var endpoint = new RawTcpServer(async socket =>
        {
            await RawTcpServer.ReadRequestAsync(socket);
            await socket.SendAsync("SSH-2.0-OpenSSH_9.2\r\n\r\n"u8.ToArray());
            socket.Shutdown(SocketShutdown.Both);
        });
        using var sender = LoopbackSender();

        SendOutcome outcome = await sender.SendAsync(Post(endpoint.Url), CancellationToken.None);

        Assert.Equal(SendErrorKind.Other, outcome.Error);
        Assert.Null(outcome.StatusCode);
    }

    [Fact]
    public async Task A_50_MB_answer_is_recorded_to_10_kB_and_the_sender_stays_usable()
    {
        Uri url = server.Map(async context =>
        {
            context.Response.ContentLength = FiftyMegabytes;
            byte[] chunk = new byte[64 * 1024];
            chunk.AsSpan().Fill((byte)'x');
            for (long written = 0; written < FiftyMegabytes && !context.RequestAborted.IsCancellationRequested; written += chunk.Length)
            {
                await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
            }
        });
        using var sender = LoopbackSender();

        SendOutcome outcome = await sender.SendAsync(Post(url), CancellationToken.None);

        Assert.True(outcome.Succeeded);
        Assert.Equal(new string('x', SendOutcome.MaxLoggedBodyBytes), outcome.ResponseBody);
        Uri next = server.Map(new SinkResponse(200, "again"));
        Assert.Equal("again", (await sender.SendAsync(Post(next), CancellationToken.None)).ResponseBody);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_50_MB_answer_is_not_drained_the_connection_is_dropped(bool chunked)
    {
        var sentOnTheWire = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var endpoint = new RawTcpServer(async socket =>
        {
            await RawTcpServer.ReadRequestAsync(socket);
            const int chunkSize = 64 * 1024;
            byte[] data = new byte[chunkSize];
            data.AsSpan().Fill((byte)'x');
            byte[] frame = chunked ? [.. "10000\r\n"u8, .. data, .. "\r\n"u8] : data;
            await socket.SendAsync(Encoding.ASCII.GetBytes(chunked
                ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                : $"HTTP/1.1 200 OK\r\nContent-Length: {FiftyMegabytes}\r\n\r\n"));
            long sent = 0;
            try
            {
                while (sent < FiftyMegabytes)
                {
                    await socket.SendAsync(frame);
                    sent += chunkSize;
                }
            }
            finally
            {
                sentOnTheWire.TrySetResult(sent);
            }
        });
        using var sender = LoopbackSender();

        SendOutcome outcome = await sender.SendAsync(Post(endpoint.Url), CancellationToken.None);

        Assert.True(outcome.Succeeded);
        Assert.Equal(SendOutcome.MaxLoggedBodyBytes, outcome.ResponseBody!.Length);
        long sent = await sentOnTheWire.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(sent < FiftyMegabytes / 2, $"the endpoint got {sent} bytes out before we hung up: the answer was drained");
    }

    [Fact]
    public async Task A_cut_in_the_middle_of_a_utf8_character_is_moved_before_it()
    {
        Uri url = server.Map(context => context.Response.WriteAsync("a" + string.Concat(Enumerable.Repeat("é", 6000))));
        using var sender = LoopbackSender();

        SendOutcome outcome = await sender.SendAsync(Post(url), CancellationToken.None);

        Assert.Equal(SendOutcome.MaxLoggedBodyBytes - 1, Encoding.UTF8.GetByteCount(outcome.ResponseBody!));
        Assert.DoesNotContain("\uFFFD", outcome.ResponseBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Response_headers_are_recorded_up_to_10_kB_of_text()
    {
        Uri url = server.Map(context =>
        {
            for (int i = 0; i < 30; i++)
            {
                context.Response.Headers[$"X-Big-{i:D2}"] = new string('h', 1000);
            }
            return Task.CompletedTask;
        });
        using var sender = LoopbackSender();

        SendOutcome outcome = await sender.SendAsync(Post(url), CancellationToken.None);

        Assert.True(outcome.Succeeded);
        int text = outcome.ResponseHeaders.Sum(h => h.Key.Length + h.Value.Length + 4);
        Assert.InRange(text, 9 * 1024, SendOutcome.MaxLoggedBodyBytes);
    }

    [Fact]
    public async Task A_connection_is_reused_across_requests()
    {
        var connections = new List<string>();
        Uri url = server.Map(context =>
        {
            lock (connections) connections.Add(context.Connection.Id);
            return Task.CompletedTask;
        });
        using var sender = LoopbackSender();

        for (int i = 0; i < 5; i++)
        {
            Assert.True((await sender.SendAsync(Post(url), CancellationToken.None)).Succeeded);
        }

        Assert.Single(connections.Distinct());
    }

    [Fact]
    public async Task An_untrusted_certificate_is_a_tls_failure()
    {
        await using var tls = await WebhookSink.StartAsync(https: true);
        Uri url = new(tls.HttpsBaseAddress, tls.Map(new SinkResponse(200)).AbsolutePath);
        using var sender = LoopbackSender();

        SendOutcome outcome = await sender.SendAsync(Post(url), CancellationToken.None);

        Assert.Equal(SendErrorKind.Tls, outcome.Error);
        Assert.Null(outcome.StatusCode);
    }

    [Fact]
    public async Task A_reserved_invalid_name_is_a_dns_failure_without_any_lookup()
    {
        using var sender = new HttpWebhookSender(new HttpWebhookSenderOptions(), TimeProvider.System, null,
            (host, _) => throw new InvalidOperationException($"{host} must not reach the resolver"));

        SendOutcome outcome = await sender.SendAsync(Post(new Uri("http://nonexistent.invalid/hook")), CancellationToken.None);

        Assert.Equal(SendErrorKind.Dns, outcome.Error);
        Assert.Null(outcome.StatusCode);
    }

    [Fact]
    public async Task A_name_the_resolver_does_not_know_is_a_dns_failure()
    {
        using var sender = new HttpWebhookSender(new HttpWebhookSenderOptions(), TimeProvider.System, null,
            (_, _) => Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound)));

        SendOutcome outcome = await sender.SendAsync(Post(new Uri("https://hooks.example.com/telnyx")), CancellationToken.None);

        Assert.Equal(SendErrorKind.Dns, outcome.Error);
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://example.com/hook")]
    [InlineData("gopher://example.com/")]
    [InlineData("ws://example.com/hook")]
    [InlineData("mailto:ops@example.com")]
    public async Task Urls_that_are_not_http_or_https_are_refused_without_sending(string url)
    {
        using var sender = new HttpWebhookSender(new HttpWebhookSenderOptions(), TimeProvider.System, null,
            (host, _) => throw new InvalidOperationException($"{host} must not be resolved"));

        SendOutcome outcome = await sender.SendAsync(Post(new Uri(url)), CancellationToken.None);

        Assert.Equal(SendErrorKind.InvalidUrl, outcome.Error);
        Assert.False(outcome.Succeeded);
        Assert.Contains("http", outcome.ErrorDetail);
    }

    [Fact]
    public async Task A_relative_url_is_refused()
    {
        using var sender = LoopbackSender();

        SendOutcome outcome = await sender.SendAsync(Post(new Uri("/hook", UriKind.Relative)), CancellationToken.None);

        Assert.Equal(SendErrorKind.InvalidUrl, outcome.Error);
    }

    [Fact]
    public async Task The_callers_cancellation_throws()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Uri url = server.Map(async context =>
        {
            arrived.TrySetResult();
            await Task.Delay(TimeSpan.FromSeconds(60), context.RequestAborted);
        });
        using var sender = LoopbackSender();
        using var cancellation = new CancellationTokenSource();

        Task<SendOutcome> sending = sender.SendAsync(Post(url), cancellation.Token);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
    }

    [Fact]
    public void Options_out_of_range_are_refused_when_the_sender_is_made()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpWebhookSender(new HttpWebhookSenderOptions { Timeout = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpWebhookSender(new HttpWebhookSenderOptions { PooledConnectionLifetime = TimeSpan.FromDays(1) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpWebhookSender(new HttpWebhookSenderOptions { MaxConnectionsPerServer = 0 }));
        Assert.Equal(TimeSpan.FromSeconds(2), new HttpWebhookSenderOptions().Timeout);
        Assert.False(new HttpWebhookSenderOptions().AllowPrivateNetworks);
    }
}
