using Microsoft.Extensions.Time.Testing;
using Switchboard.Testing;

namespace Switchboard.Cli.Tests;

/// <summary>The verbs that call a running <c>serve</c> (<c>inbound</c>, <c>inbound-call</c>, <c>deliveries retry</c>, <c>call press|hangup</c>) with <c>--url</c>, against a real HTTP listener on 127.0.0.1.</summary>
public sealed class PlatformClientCommandTests(WebhookSink receiver) : IClassFixture<WebhookSink>
{
    private readonly FakeTimeProvider _time = new();

    public static TheoryData<string[], string> Commands => new()
    {
        { ["inbound", "--from", "+13125550100", "--to", "+18445550001", "--text", "hi"], "/_switchboard/inbound_messages" },
        { ["inbound-call", "--from", "+13125550100", "--to", "+18445550001"], "/_switchboard/inbound_calls" },
        { ["deliveries", "retry", "some-event-id"], "/_switchboard/webhook_deliveries/some-event-id/redeliver" },
        { ["call", "press", "v3:press-test", "12#"], "/_switchboard/calls/v3:press-test/dtmf" },
        { ["call", "hangup", "v3:hangup-test"], "/_switchboard/calls/v3:hangup-test/hangup" },
    };

    [Fact]
    public async Task Call_press_sends_the_digits_for_the_escaped_call_control_id()
    {
        var id = $"v3:{Guid.NewGuid():N}/x";

        var run = await Cli.Run(_time, ["call", "press", id, "*9#", "--url", receiver.BaseAddress.GetLeftPart(UriPartial.Authority), "--api-key", "KEY-press"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        var request = Assert.Single(receiver.RequestsTo($"/_switchboard/calls/{id.Replace("/", "%2F", StringComparison.Ordinal)}/dtmf"));
        Assert.Equal("*9#", System.Text.Json.JsonDocument.Parse(request.Body).RootElement.GetProperty("digits").GetString());
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Url_names_the_platform_the_command_posts_to(string[] command, string path)
    {
        var apiKey = $"KEY-{Guid.NewGuid():N}";

        var run = await Cli.Run(_time, [.. command, "--url", receiver.BaseAddress.GetLeftPart(UriPartial.Authority), "--api-key", apiKey]);

        Assert.True(run.ExitCode == 0, run.ToString());
        var request = Assert.Single(receiver.RequestsTo(path), r => r.Headers["Authorization"] == $"Bearer {apiKey}");
        Assert.Equal("POST", request.Method);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Url_that_is_not_an_absolute_http_url_is_refused_naming_the_option(string[] command, string path)
    {
        foreach (var url in new[] { "ftp://127.0.0.1/", "127.0.0.1:8080", "http://127.0.0.1:8080/\u202E" })
        {
            var run = await Cli.Run(_time, [.. command, "--url", url, "--api-key", "KEY-x"]);

            Cli.AssertCleanFailure(run, 1, "--url", "absolute http");
            Assert.DoesNotContain('\u202E', run.Error);
        }

        Assert.DoesNotContain(receiver.RequestsTo(path), r => r.Headers["Authorization"] == "Bearer KEY-x");
    }
}
