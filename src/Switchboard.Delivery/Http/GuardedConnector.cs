using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;

namespace Switchboard.Delivery.Http;

/// <summary>
/// The <see cref="SocketsHttpHandler.ConnectCallback"/> of the sender: resolves the host itself, drops every
/// address <see cref="SsrfPolicy"/> refuses, and connects only to an allowed one. Checking here, on the address
/// actually connected to, is what makes DNS rebinding useless.
/// </summary>
internal sealed class GuardedConnector(bool allowPrivateNetworks, Func<string, CancellationToken, Task<IPAddress[]>> resolveHost)
{
    public static readonly Func<string, CancellationToken, Task<IPAddress[]>> SystemResolver = Dns.GetHostAddressesAsync;

    private static readonly IPAddress[] s_loopback = [IPAddress.Loopback, IPAddress.IPv6Loopback];

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        string host = context.DnsEndPoint.Host;
        int port = context.DnsEndPoint.Port;
        IPAddress[] addresses = await ResolveAsync(host, cancellationToken);

        IPAddress? refused = null;
        SocketException? lastFailure = null;
        foreach (IPAddress candidate in addresses)
        {
            if (!SsrfPolicy.IsAllowed(candidate, allowPrivateNetworks))
            {
                refused ??= candidate;
                continue;
            }
            IPAddress address = candidate.IsIPv4MappedToIPv6 ? candidate.MapToIPv4() : candidate;
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                lastFailure = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        if (lastFailure is not null)
        {
            ExceptionDispatchInfo.Throw(lastFailure);
        }
        if (refused is not null)
        {
            throw new SsrfBlockedException(host, refused);
        }
        throw new SocketException((int)SocketError.HostNotFound);
    }

    private Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        string name = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (IPAddress.TryParse(name, out IPAddress? literal))
        {
            return Task.FromResult<IPAddress[]>([literal]);
        }
        // RFC 6761: "invalid" names never resolve and "localhost" names are loopback; answering them here keeps
        // such lookups off the network and out of whatever the system resolver would make of them.
        name = name.TrimEnd('.');
        if (IsUnder(name, "invalid"))
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }
        if (IsUnder(name, "localhost"))
        {
            return Task.FromResult(s_loopback);
        }
        return resolveHost(name, cancellationToken);
    }

    private static bool IsUnder(string name, string domain) =>
        name.Equals(domain, StringComparison.OrdinalIgnoreCase)
        || (name.Length > domain.Length
            && name.EndsWith(domain, StringComparison.OrdinalIgnoreCase)
            && name[^(domain.Length + 1)] == '.');
}

/// <summary>Every address the target resolved to was refused by <see cref="SsrfPolicy"/>; nothing was connected to.</summary>
internal sealed class SsrfBlockedException(string host, IPAddress refused) : Exception(Explain(host, refused))
{
    public IPAddress Refused { get; } = refused;

    private static string Explain(string host, IPAddress refused)
    {
        string range = SsrfPolicy.Describe(SsrfPolicy.Categorize(refused));
        string address = refused.ToString();
        return host.Trim('[', ']').Equals(address, StringComparison.OrdinalIgnoreCase)
            ? $"{address} is a {range} address: refused by the SSRF policy"
            : $"{host} resolves to {address}, a {range} address: refused by the SSRF policy";
    }
}
