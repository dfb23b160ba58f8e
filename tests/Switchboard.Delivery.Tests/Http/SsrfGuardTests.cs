using System.Net;
using System.Net.Sockets;
using CsCheck;
using Switchboard.Delivery.Http;
using Switchboard.Testing;

namespace Switchboard.Delivery.Tests.Http;

/// <summary>
/// The SSRF policy as a pure function over a table of addresses (no traffic to any of them), and the connect
/// path with loopback only: refused targets never see a connection attempt.
/// </summary>
public sealed class SsrfGuardTests
{
    public static TheoryData<string> AlwaysRefused =>
    [
        "169.254.169.254", "169.254.0.1", "fe80::1", "fe80::1%2", "febf::1",
        "0.0.0.0", "::", "255.255.255.255",
        "224.0.0.1", "239.255.255.250", "ff02::1", "ff05::1:3",
        "0.1.2.3", "240.0.0.1", "192.0.2.1", "198.51.100.7", "203.0.113.9", "198.18.0.1", "192.0.0.8",
        "2001:db8::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "fec0::1", "100::1", "::7f00:1", "3fff::1",
        "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "::ffff:0.0.0.0", "::ffff:224.0.0.1",
    ];

    public static TheoryData<string> PrivateOrLoopback =>
    [
        "127.0.0.1", "127.1.2.3", "::1", "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255",
        "192.168.0.1", "192.168.255.255", "100.64.0.1", "100.127.255.255", "fc00::1", "fd12:3456:789a::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:192.168.1.1", "64:ff9b::7f00:1", "64:ff9b::a00:1",
        "2002:7f00:1::1", "2002:c0a8:101::1", "64:ff9b:1::a00:1",
    ];

    public static TheoryData<string> Public =>
    [
        "8.8.8.8", "1.1.1.1", "93.184.216.34", "172.15.255.255", "172.32.0.1", "100.63.255.255", "100.128.0.1",
        "192.167.255.255", "192.169.0.1", "169.253.255.255", "169.255.0.1", "223.255.255.255", "11.0.0.1",
        "2606:4700:4700::1111", "2a00:1450:4001:81b::200e", "2001:4860:4860::8888",
        "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
    ];

    [Theory]
    [MemberData(nameof(AlwaysRefused))]
    public void Link_local_multicast_broadcast_unspecified_and_reserved_are_always_refused(string address)
    {
        Assert.False(SsrfPolicy.IsAllowed(IPAddress.Parse(address)));
        Assert.False(SsrfPolicy.IsAllowed(IPAddress.Parse(address), allowPrivateNetworks: true));
    }

    [Theory]
    [MemberData(nameof(PrivateOrLoopback))]
    public void Loopback_private_unique_local_and_cgnat_are_refused_unless_private_networks_are_allowed(string address)
    {
        Assert.False(SsrfPolicy.IsAllowed(IPAddress.Parse(address)));
        Assert.True(SsrfPolicy.IsAllowed(IPAddress.Parse(address), allowPrivateNetworks: true));
    }

    [Theory]
    [MemberData(nameof(Public))]
    public void Public_addresses_are_allowed(string address)
    {
        Assert.True(SsrfPolicy.IsAllowed(IPAddress.Parse(address)));
        Assert.True(SsrfPolicy.IsAllowed(IPAddress.Parse(address), allowPrivateNetworks: true));
    }

    [Fact]
    public void Every_ipv6_form_of_an_ipv4_address_gets_the_ipv4_verdict()
    {
        Gen.UInt.Select(Gen.Bool).Sample((value, allowPrivate) =>
        {
            var v4 = new IPAddress(new[] { (byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value });
            bool expected = SsrfPolicy.IsAllowed(v4, allowPrivate);
            byte[] nat64 = [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, .. v4.GetAddressBytes()];
            byte[] sixToFour = [0x20, 0x02, .. v4.GetAddressBytes(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
            return SsrfPolicy.IsAllowed(v4.MapToIPv6(), allowPrivate) == expected
                && SsrfPolicy.IsAllowed(new IPAddress(nat64), allowPrivate) == expected
                && SsrfPolicy.IsAllowed(new IPAddress(sixToFour), allowPrivate) == expected;
        });
    }

    [Theory]
    [InlineData("http://example.com/hook", true)]
    [InlineData("https://example.com:8443/hook?x=1", true)]
    [InlineData("HTTPS://EXAMPLE.COM/", true)]
    [InlineData("file:///etc/passwd", false)]
    [InlineData("ftp://example.com/", false)]
    [InlineData("javascript:alert(1)", false)]
    [InlineData("data:text/plain,hi", false)]
    public void Only_absolute_http_and_https_urls_are_supported(string url, bool supported)
    {
        Assert.Equal(supported, SsrfPolicy.IsSupportedUrl(new Uri(url), out string? problem));
        Assert.Equal(supported, problem is null);
    }

    [Theory]
    [InlineData("http://127.0.0.1:{0}/hook")]
    [InlineData("http://localhost:{0}/hook")]
    [InlineData("http://LOCALHOST.:{0}/hook")]
    [InlineData("http://tenant.localhost:{0}/hook")]
    [InlineData("http://[::ffff:127.0.0.1]:{0}/hook")]
    [InlineData("http://2130706433:{0}/hook")]
    [InlineData("http://0x7f.1:{0}/hook")]
    public async Task By_default_a_loopback_target_is_refused_before_any_connection(string template)
    {
        using var listener = new LoopbackListener(IPAddress.Loopback);
        using var sender = new HttpWebhookSender(new HttpWebhookSenderOptions(), TimeProvider.System, null,
            (host, _) => throw new InvalidOperationException($"{host} must not reach the system resolver"));

        SendOutcome outcome = await sender.SendAsync(Request(string.Format(template, listener.Port)), CancellationToken.None);

        Assert.Equal(SendErrorKind.SsrfBlocked, outcome.Error);
        Assert.Contains("loopback", outcome.ErrorDetail);
        Assert.Null(outcome.StatusCode);
        Assert.False(listener.HadConnection);
    }

    [Fact]
    public async Task The_default_refuses_the_classic_ssrf_targets_and_attempts_no_connection()
    {
        // Non-loopback targets are judged by the policy alone: no traffic may go to them from here.
        foreach (string address in new[] { "127.0.0.1", "::1", "169.254.169.254", "10.0.0.1", "0.0.0.0", "::ffff:127.0.0.1" })
        {
            Assert.False(SsrfPolicy.IsAllowed(IPAddress.Parse(address)), address);
        }

        using var v4 = new LoopbackListener(IPAddress.Loopback);
        using LoopbackListener? v6 = LoopbackListener.TryIPv6();
        using var sender = new HttpWebhookSender();
        string[] urls =
        [
            $"http://127.0.0.1:{v4.Port}/hook",
            $"http://localhost:{v4.Port}/hook",
            $"http://[::ffff:127.0.0.1]:{v4.Port}/hook",
            $"https://127.0.0.1:{v4.Port}/hook",
            $"http://[::1]:{v6?.Port ?? v4.Port}/hook",
        ];
        foreach (string url in urls)
        {
            SendOutcome outcome = await sender.SendAsync(Request(url), CancellationToken.None);

            Assert.Equal(SendErrorKind.SsrfBlocked, outcome.Error);
            Assert.False(outcome.Succeeded);
        }
        Assert.False(v4.HadConnection);
        Assert.False(v6?.HadConnection ?? false);
    }

    [Fact]
    public async Task A_public_name_that_resolves_to_loopback_is_refused_before_any_connection()
    {
        using var listener = new LoopbackListener(IPAddress.Loopback);
        using var sender = new HttpWebhookSender(new HttpWebhookSenderOptions(), TimeProvider.System, null,
            (_, _) => Task.FromResult(new[] { IPAddress.Loopback }));

        SendOutcome outcome = await sender.SendAsync(Request($"http://rebound.example.com:{listener.Port}/hook"), CancellationToken.None);

        Assert.Equal(SendErrorKind.SsrfBlocked, outcome.Error);
        Assert.Contains("rebound.example.com resolves to 127.0.0.1", outcome.ErrorDetail);
        Assert.False(listener.HadConnection);
    }

    [Fact]
    public async Task With_private_networks_allowed_a_name_resolving_to_loopback_is_connected_to()
    {
        using var listener = new LoopbackListener(IPAddress.Loopback);
        using var sender = new HttpWebhookSender(new HttpWebhookSenderOptions { AllowPrivateNetworks = true, Timeout = TimeSpan.FromSeconds(30) },
            TimeProvider.System, null, (_, _) => Task.FromResult(new[] { IPAddress.Loopback }));
        using var cancellation = new CancellationTokenSource();

        Task<SendOutcome> sending = sender.SendAsync(Request($"http://dev.example.com:{listener.Port}/hook"), cancellation.Token);
        await listener.WaitForConnectionAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
        Assert.True(listener.HadConnection);
    }

    private static SendRequest Request(string url) => new(new Uri(url), "{}"u8.ToArray(), []);

    private sealed class LoopbackListener : IDisposable
    {
        private readonly TcpListener _listener;

        public LoopbackListener(IPAddress address)
        {
            _listener = new TcpListener(address, 0);
            _listener.Start();
        }

        public static LoopbackListener? TryIPv6()
        {
            try
            {
                return new LoopbackListener(IPAddress.IPv6Loopback);
            }
            catch (SocketException)
            {
                return null; // no IPv6 on this machine: the refusal is still checked, without a listener
            }
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public bool HadConnection => _listener.Pending();

        public Task WaitForConnectionAsync() => Eventually.TrueAsync(_listener.Pending, "a connection to the local listener");

        public void Dispose() => _listener.Stop();
    }
}
