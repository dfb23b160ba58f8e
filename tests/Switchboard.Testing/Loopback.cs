using System.Net;
using System.Net.Sockets;

namespace Switchboard.Testing;

/// <summary>Ports on 127.0.0.1 for the servers the tests start.</summary>
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
}
