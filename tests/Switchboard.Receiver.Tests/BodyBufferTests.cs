using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Receiver.Tests.Support;

namespace Switchboard.Receiver.Tests;

/// <summary>
/// The pooled body buffer: clients that abort a chunked body after the buffer has grown must not leave a buffer in
/// the pool twice, or two requests share one array and a body changes between verification and the inbox write.
/// </summary>
public sealed class BodyBufferTests : IAsyncLifetime
{
    private readonly TestSender _sender = new();
    private ReceiverApp _app = null!;

    public async Task InitializeAsync() => _app = await ReceiverApp.StartAsync(o =>
    {
        o.PublicKeys.Add(_sender.PublicKey);
        o.DataDirectory = TempFolder.Create();
    });

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _sender.Dispose();
    }

    [Fact]
    public async Task Aborted_chunked_bodies_beside_valid_ones_leave_every_stored_body_identical_to_the_signed_one()
    {
        var sent = new List<(string Id, byte[] Body)>();
        var failures = new List<string>();
        for (var round = 0; round < 12; round++)
        {
            var work = new List<Task>();
            for (var i = 0; i < 12; i++)
            {
                // Grown past its first 32 kB array, then cut off: the read throws after the buffer was swapped.
                work.Add(AbortChunkedAsync(40_000));
            }

            for (var i = 0; i < 16; i++)
            {
                // 17-30 kB bodies rent from the same 32 kB bucket the aborted reads returned; chunked ones start there too.
                var id = $"evt-{round}-{i}";
                var body = BodyOfAbout(id, 17_000 + (i * 800));
                sent.Add((id, body));
                work.Add(PostAsync(id, body, chunked: i % 2 == 0, failures));
            }

            await Task.WhenAll(work);
        }

        Assert.Empty(failures);
        foreach (var (id, body) in sent)
        {
            var entry = await _app.Admin.GetAsync(id);
            Assert.NotNull(entry);
            Assert.True(Encoding.UTF8.GetString(body) == entry.Body, $"the stored body of {id} differs from the body that was signed");
        }
    }

    private async Task PostAsync(string id, byte[] body, bool chunked, List<string> failures)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/telnyx")
        {
            Content = chunked ? new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TransferEncodingChunked = chunked;
        foreach (var (name, value) in _sender.Sign(body))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await _app.Client.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            lock (failures)
            {
                failures.Add($"{id}: {(int)response.StatusCode} {JsonNode.Parse(response.Content.ReadAsStringAsync().Result)?["reason"]}");
            }
        }
    }

    /// <summary>Sends a chunked body's first <paramref name="bytes"/> bytes over a raw socket, then resets the connection.</summary>
    private async Task AbortChunkedAsync(int bytes)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, _app.BaseUrl.Port);
        var head = $"POST /webhooks/telnyx HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n" +
            $"telnyx-timestamp: 1\r\ntelnyx-signature-ed25519: x\r\n\r\n{bytes:x}\r\n";
        var chunk = new byte[bytes];
        Array.Fill(chunk, (byte)'a');
        await socket.SendAsync(Encoding.ASCII.GetBytes(head));
        await socket.SendAsync(chunk);
        await Task.Delay(30);
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }

    private static byte[] BodyOfAbout(string id, int size)
    {
        var text = new StringBuilder(size);
        var random = new Random(id.GetHashCode(StringComparison.Ordinal));
        while (text.Length < size)
        {
            text.Append((char)('a' + random.Next(26)));
        }

        return Encoding.UTF8.GetBytes(
            $"{{\"data\":{{\"event_type\":\"message.received\",\"id\":\"{id}\",\"occurred_at\":\"2026-01-01T00:00:00.000Z\",\"record_type\":\"event\",\"payload\":{{\"text\":\"{text}\"}}}}}}");
    }
}
