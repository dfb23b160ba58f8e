using System.Net;
using System.Net.Sockets;

namespace Switchboard.Testing;

/// <summary>Ports on 127.0.0.1 for the servers the tests start, and clients from other loopback addresses.</summary>
public static class Loopback
{
    /// <summary>A port nothing listens on now (the OS's pick; free until something takes it).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>True if something accepts TCP connections on the port.</summary>
    public static async Task<bool> AcceptsAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// An HTTP client whose connections come from <paramref name="from"/>, a loopback address of its own (127.0.0.N):
    /// to a server that counts per client address, a client of its own. No timeout (it may hold streams open).
    /// </summary>
    public static HttpClient ClientFrom(IPAddress from, string baseUrl) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(from, 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    {
        BaseAddress = new Uri(baseUrl),
        Timeout = Timeout.InfiniteTimeSpan,
    };
}
