using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Switchboard.Delivery.Http;

/// <summary>
/// Which targets a webhook may be sent to. Webhook URLs come from customers, so without this anyone could make
/// the platform POST to its own loopback services, the private network or the cloud metadata endpoint
/// (169.254.169.254). The sender applies <see cref="IsAllowed"/> to every address it is about to connect to,
/// after its own DNS resolution, so a name that later resolves elsewhere (DNS rebinding) is checked again.
/// </summary>
internal static class SsrfPolicy
{
    /// <summary>
    /// True for a globally reachable unicast address. With <paramref name="allowPrivateNetworks"/>, loopback, private,
    /// unique-local and CGNAT addresses are allowed too; link-local, multicast, broadcast, unspecified and reserved never are.
    /// IPv4-mapped, NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are judged by the IPv4 address they carry.
    /// </summary>
    public static bool IsAllowed(IPAddress address, bool allowPrivateNetworks = false)
    {
        ArgumentNullException.ThrowIfNull(address);
        return Categorize(address) switch
        {
            AddressRange.Public => true,
            AddressRange.Loopback or AddressRange.Private or AddressRange.UniqueLocal or AddressRange.SharedAddressSpace => allowPrivateNetworks,
            _ => false,
        };
    }

    /// <summary>True for an absolute http or https URL with a host; otherwise says what is wrong with it.</summary>
    public static bool IsSupportedUrl(Uri url, [NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri)
        {
            problem = "not an absolute URL";
        }
        else if (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
        {
            problem = $"scheme '{url.Scheme}' is not allowed: only http and https";
        }
        else if (url.Host.Length == 0)
        {
            problem = "the URL has no host";
        }
        else
        {
            problem = null;
        }
        return problem is null;
    }

    internal static AddressRange Categorize(IPAddress address)
    {
        switch (address.AddressFamily)
        {
            case AddressFamily.InterNetwork:
                Span<byte> v4 = stackalloc byte[4];
                address.TryWriteBytes(v4, out _);
                return CategorizeV4(BinaryPrimitives.ReadUInt32BigEndian(v4));
            case AddressFamily.InterNetworkV6:
                Span<byte> v6 = stackalloc byte[16];
                address.TryWriteBytes(v6, out _);
                return CategorizeV6(v6);
            default:
                return AddressRange.Reserved;
        }
    }

    internal static string Describe(AddressRange range) => range switch
    {
        AddressRange.Public => "public",
        AddressRange.Loopback => "loopback",
        AddressRange.Private => "private",
        AddressRange.SharedAddressSpace => "carrier-grade NAT (100.64.0.0/10)",
        AddressRange.LinkLocal => "link-local",
        AddressRange.UniqueLocal => "IPv6 unique-local",
        AddressRange.Multicast => "multicast",
        AddressRange.Unspecified => "unspecified",
        AddressRange.Broadcast => "broadcast",
        _ => "reserved",
    };

    private static AddressRange CategorizeV4(uint a)
    {
        if (a == 0) return AddressRange.Unspecified;
        if (a == 0xFFFF_FFFF) return AddressRange.Broadcast;
        if (InV4(a, 0x0000_0000, 8)) return AddressRange.Reserved;            // 0.0.0.0/8 "this network"
        if (InV4(a, 0x0A00_0000, 8)) return AddressRange.Private;             // 10.0.0.0/8
        if (InV4(a, 0x6440_0000, 10)) return AddressRange.SharedAddressSpace; // 100.64.0.0/10
        if (InV4(a, 0x7F00_0000, 8)) return AddressRange.Loopback;            // 127.0.0.0/8
        if (InV4(a, 0xA9FE_0000, 16)) return AddressRange.LinkLocal;          // 169.254.0.0/16
        if (InV4(a, 0xAC10_0000, 12)) return AddressRange.Private;            // 172.16.0.0/12
        if (InV4(a, 0xC0A8_0000, 16)) return AddressRange.Private;            // 192.168.0.0/16
        if (InV4(a, 0xC000_0000, 24)                                          // 192.0.0.0/24 IETF protocol assignments
            || InV4(a, 0xC000_0200, 24)                                       // 192.0.2.0/24 documentation
            || InV4(a, 0xC058_6300, 24)                                       // 192.88.99.0/24 6to4 relay
            || InV4(a, 0xC612_0000, 15)                                       // 198.18.0.0/15 benchmarking
            || InV4(a, 0xC633_6400, 24)                                       // 198.51.100.0/24 documentation
            || InV4(a, 0xCB00_7100, 24))                                      // 203.0.113.0/24 documentation
        {
            return AddressRange.Reserved;
        }
        if (InV4(a, 0xE000_0000, 4)) return AddressRange.Multicast;           // 224.0.0.0/4
        if (InV4(a, 0xF000_0000, 4)) return AddressRange.Reserved;            // 240.0.0.0/4
        return AddressRange.Public;
    }

    private static bool InV4(uint address, uint network, int prefixLength) =>
        (address & (uint.MaxValue << (32 - prefixLength))) == network;

    private static AddressRange CategorizeV6(ReadOnlySpan<byte> b)
    {
        uint embeddedV4 = BinaryPrimitives.ReadUInt32BigEndian(b[12..]);
        if (b[..10].IndexOfAnyExcept((byte)0) < 0)
        {
            ushort word5 = BinaryPrimitives.ReadUInt16BigEndian(b[10..]);
            if (word5 == 0xFFFF) return CategorizeV4(embeddedV4);             // ::ffff:0:0/96 IPv4-mapped
            if (word5 == 0)
            {
                return embeddedV4 switch
                {
                    0 => AddressRange.Unspecified,                            // ::
                    1 => AddressRange.Loopback,                               // ::1
                    _ => AddressRange.Reserved,                               // ::/96 deprecated IPv4-compatible
                };
            }
            return AddressRange.Reserved;
        }

        ushort w0 = BinaryPrimitives.ReadUInt16BigEndian(b);
        ushort w1 = BinaryPrimitives.ReadUInt16BigEndian(b[2..]);
        ushort w2 = BinaryPrimitives.ReadUInt16BigEndian(b[4..]);
        if (w0 == 0x0064 && w1 == 0xFF9B)
        {
            if (w2 == 0 && b[6..12].IndexOfAnyExcept((byte)0) < 0) return CategorizeV4(embeddedV4); // 64:ff9b::/96 NAT64
            if (w2 == 1) return AddressRange.Private;                                               // 64:ff9b:1::/48 local NAT64
            return AddressRange.Reserved;
        }
        if (w0 == 0x2002) return CategorizeV4(BinaryPrimitives.ReadUInt32BigEndian(b[2..]));      // 2002::/16 6to4
        if (w0 == 0x2001 && (w1 == 0x0000 || w1 == 0x0DB8)) return AddressRange.Reserved;          // Teredo, documentation
        if (w0 == 0x3FFF && (w1 & 0xF000) == 0) return AddressRange.Reserved; // 3fff::/20 documentation
        if (b[0] == 0xFF) return AddressRange.Multicast;                                            // ff00::/8
        if ((w0 & 0xFFC0) == 0xFE80) return AddressRange.LinkLocal;                                 // fe80::/10
        if ((b[0] & 0xFE) == 0xFC) return AddressRange.UniqueLocal;                                 // fc00::/7
        if ((b[0] & 0xE0) == 0x20) return AddressRange.Public;                                      // 2000::/3 global unicast
        return AddressRange.Reserved;                                                               // fec0::/10, 100::/64 and the rest
    }
}

/// <summary>What kind of address a target resolved to, as far as <see cref="SsrfPolicy"/> is concerned.</summary>
internal enum AddressRange
{
    Public,
    Loopback,
    Private,
    SharedAddressSpace,
    LinkLocal,
    UniqueLocal,
    Multicast,
    Unspecified,
    Broadcast,
    Reserved,
}
