using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Switchboard.Delivery.Tests.Http;

/// <summary>
/// A TCP listener on 127.0.0.1 for endpoints that misbehave below HTTP: each accepted connection is handed to
/// <c>handle</c>, which reads the request with <see cref="ReadRequestAsync"/> and answers with raw bytes.
/// </summary>
internal sealed class RawTcpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _accepted;

    public RawTcpServer(Func<Socket, Task> handle)
    {
        _listener.Start();
        _acceptLoop = AcceptAsync(handle);
    }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/hook");

    public int Accepted => Volatile.Read(ref _accepted);

    private async Task AcceptAsync(Func<Socket, Task> handle)
    {
        var connections = new List<Task>();
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                break;
            }
            Interlocked.Increment(ref _accepted);
            connections.Add(Task.Run(async () =>
            {
                using (socket)
                {
                    try
                    {
                        await handle(socket);
                    }
                    catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
                    {
                        // The client went away: that is what these endpoints provoke.
                    }
                }
            }));
        }
        await Task.WhenAll(connections);
    }

    /// <summary>Reads one request's head and its Content-Length body; returns the head.</summary>
    public static async Task<string> ReadRequestAsync(Socket socket)
    {
        var received = new List<byte>();
        var buffer = new byte[8192];
        int headEnd;
        while ((headEnd = IndexOfHeadEnd(received)) < 0)
        {
            int read = await socket.ReceiveAsync(buffer);
            if (read == 0) throw new IOException("the client closed before sending a whole request");
            received.AddRange(buffer.AsSpan(0, read));
        }
        string head = Encoding.ASCII.GetString(received.GetRange(0, headEnd).ToArray());
        int contentLength = head.Split("\r\n")
            .Where(line => line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            .Select(line => int.Parse(line["Content-Length:".Length..].Trim()))
            .FirstOrDefault();
        int bodyReceived = received.Count - headEnd - 4;
        while (bodyReceived < contentLength)
        {
            int read = await socket.ReceiveAsync(buffer);
            if (read == 0) throw new IOException("the client closed mid-body");
            bodyReceived += read;
        }
        return head;
    }

    /// <summary>Ends the connection with a TCP reset rather than a clean close.</summary>
    public static void Reset(Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }

    private static int IndexOfHeadEnd(List<byte> bytes)
    {
        for (int i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n') return i;
        }
        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        _stop.Dispose();
    }
}
