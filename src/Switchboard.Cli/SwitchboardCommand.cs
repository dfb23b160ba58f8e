using System.CommandLine;
using Switchboard.Cli.Commands;

namespace Switchboard.Cli;

/// <summary>The root of the <c>switchboard</c> command tree.</summary>
public static class SwitchboardCommand
{
    public static RootCommand Create(TimeProvider time)
    {
        var root = new RootCommand("Switchboard: sign, verify, trigger and receive Telnyx webhooks locally.");
        root.Subcommands.Add(KeysCommand.Create());
        root.Subcommands.Add(SignCommand.Create(time));
        root.Subcommands.Add(VerifyCommand.Create(time));
        root.Subcommands.Add(TriggerCommand.Create(time));
        root.Subcommands.Add(ListenCommand.Create(time));
        return root;
    }
}
