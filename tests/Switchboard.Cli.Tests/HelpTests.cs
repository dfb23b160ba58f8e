using System.Text.RegularExpressions;

namespace Switchboard.Cli.Tests;

/// <summary><c>--help</c> works on every verb and names its options.</summary>
public sealed partial class HelpTests
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

    /// <summary>A default shown in help, given back as the option's value, is accepted: help writes values as the options read them.</summary>
    [Theory]
    [InlineData("serve")]
    [InlineData("listen")]
    [InlineData("trigger")]
    public async Task Every_default_that_help_shows_is_a_value_the_option_takes(string verb)
    {
        var help = (await Cli.Run(TimeProvider.System, verb, "--help")).Output;
        var defaults = DefaultShown().Matches(help).Select(m => (Option: m.Groups[1].Value, Value: m.Groups[2].Value)).ToList();
        Assert.Contains(defaults, d => d.Option == "--data" || d.Option == "--timeout");

        foreach (var (option, value) in defaults)
        {
            var errors = SwitchboardCommand.Create(TimeProvider.System).Parse([verb, option, value]).Errors;
            Assert.DoesNotContain(errors, e => e.Message.Contains(option, StringComparison.Ordinal));
        }
    }

    [GeneratedRegex(@"^\s*(--[a-z-]+) <[^>]+>.*\[default: ([^\]]+)\]\s*$", RegexOptions.Multiline)]
    private static partial Regex DefaultShown();

    [Fact]
    public async Task Unknown_verb_fails_and_says_so()
    {
        var run = await Cli.Run(TimeProvider.System, "sing");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("sing", run.Error, StringComparison.Ordinal);
    }
}
