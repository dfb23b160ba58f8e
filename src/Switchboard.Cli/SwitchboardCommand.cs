using System.CommandLine;
using Switchboard.Cli.Commands;

namespace Switchboard.Cli;

/// <summary>The root of the <c>switchboard</c> command tree.</summary>
public static class SwitchboardCommand
{
    public static RootCommand Create(TimeProvider time)
    {
        var root = new RootCommand("Switchboard: a Telnyx-compatible platform that sends webhooks, and tools to sign, verify, trigger and receive them locally.");
        root.Subcommands.Add(ServeCommand.Create(time));
        root.Subcommands.Add(InboundCommand.Create());
        root.Subcommands.Add(InboundCallCommand.Create());
        root.Subcommands.Add(FarEndCallCommand.Create());
        root.Subcommands.Add(DeliveriesCommand.Create());
        root.Subcommands.Add(KeysCommand.Create());
        root.Subcommands.Add(SignCommand.Create(time));
        root.Subcommands.Add(VerifyCommand.Create(time));
        root.Subcommands.Add(TriggerCommand.Create(time));
        root.Subcommands.Add(ListenCommand.Create(time));
        return root;
    }
}
