using System.CommandLine;
using Switchboard.Cli;

return await SwitchboardCommand.Create(TimeProvider.System).Parse(args).InvokeAsync();
