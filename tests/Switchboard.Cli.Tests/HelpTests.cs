namespace Switchboard.Cli.Tests;

/// <summary><c>--help</c> works on every verb and names its options.</summary>
public sealed class HelpTests
{
    public static TheoryData<string[], string[]> Verbs => new()
    {
        { [], ["keys", "sign", "verify", "trigger"] },
        { ["keys"], ["generate"] },
        { ["keys", "generate"], ["--out", "ed25519.key", "ed25519.pub", "0600"] },
        { ["sign"], ["--key", "--body", "--timestamp", "telnyx-signature-ed25519"] },
        { ["verify"], ["--public-key", "--timestamp", "--signature", "--body", "--tolerance"] },
        { ["trigger"], ["EVENT_TYPE", "--to", "--key", "--set", "--timeout", "message.sent", "call.recording.saved"] },
        { ["listen"], ["--urls", "--path", "--public-key", "--data", "--forward-to", "--forward-timeout"] },
    };

    [Theory]
    [MemberData(nameof(Verbs))]
    public async Task Help_exits_0_and_mentions_the_options(string[] verb, string[] mentions)
    {
        foreach (var flag in new[] { "--help", "-h", "-?" })
        {
            var run = await Cli.Run(TimeProvider.System, [.. verb, flag]);

            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal(string.Empty, run.Error);
            foreach (var mention in mentions)
            {
                Assert.Contains(mention, run.Output, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Unknown_verb_fails_and_says_so()
    {
        var run = await Cli.Run(TimeProvider.System, "sing");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("sing", run.Error, StringComparison.Ordinal);
    }
}
