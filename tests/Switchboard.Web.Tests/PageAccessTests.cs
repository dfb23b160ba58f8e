using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Web.Shared;

namespace Switchboard.Web.Tests;

/// <summary>The loopback-or-token decision of <see cref="PageAccess"/>, without a server.</summary>
public sealed class PageAccessTests
{
    [Fact]
    public async Task Until_the_server_has_bound_its_addresses_a_token_is_needed()
    {
        await using var app = WebApplication.CreateSlimBuilder().Build();
        var access = PageAccess.For(app);

        Assert.True(access.RequiresToken);
        Assert.Equal(StatusCodes.Status401Unauthorized, access.Check(Request("127.0.0.1", IPAddress.Loopback))?.Status);

        access.BoundTo(["http://127.0.0.1:9090", "http://[::1]:9090"]);
        Assert.False(access.RequiresToken);
        Assert.Null(access.Check(Request("127.0.0.1", IPAddress.Loopback)));
        Assert.Null(access.Check(Request("localhost", IPAddress.Parse("::ffff:127.0.0.1"))));
    }

    [Theory]
    [InlineData("http://unix:/tmp/listen.sock")]
    [InlineData("http://0.0.0.0:9090")]
    [InlineData("http://[::]:9090")]
    [InlineData("http://192.168.1.20:9090")]
    public async Task Any_bound_address_beyond_loopback_needs_the_token(string beyond)
    {
        await using var app = WebApplication.CreateSlimBuilder().Build();
        var access = PageAccess.For(app);

        access.BoundTo(["http://127.0.0.1:9090", beyond]);

        Assert.True(access.RequiresToken);
        Assert.Equal(StatusCodes.Status401Unauthorized, access.Check(Request("127.0.0.1", IPAddress.Loopback))?.Status);
    }

    [Fact]
    public async Task Without_a_token_a_connection_from_elsewhere_is_refused_whatever_host_it_names()
    {
        await using var app = WebApplication.CreateSlimBuilder().Build();
        var access = PageAccess.For(app);
        access.BoundTo(["http://127.0.0.1:9090"]);

        Assert.Equal(StatusCodes.Status403Forbidden, access.Check(Request("127.0.0.1", IPAddress.Parse("10.1.2.3")))?.Status);
        // A Unix socket or a test server: no remote IP address at all.
        Assert.Equal(StatusCodes.Status403Forbidden, access.Check(Request("localhost", null))?.Status);
        Assert.Equal(StatusCodes.Status403Forbidden, access.Check(Request("example.com", IPAddress.Loopback))?.Status);
    }

    private static DefaultHttpContext Request(string host, IPAddress? remote)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Host = new HostString(host, 9090);
        context.Request.Path = "/";
        context.Connection.RemoteIpAddress = remote;
        context.Connection.LocalPort = 9090;
        return context;
    }
}
