using System.Diagnostics;
using System.Globalization;

namespace Switchboard.Testing;

/// <summary>
/// A full disk for a child process, without privileges: <c>RLIMIT_FSIZE</c> (set with util-linux's <c>prlimit</c>)
/// caps how large any file it writes may grow, so its database's writes past the cap fail as on a full disk, and
/// lifting the cap while it runs is the disk having room again.
/// </summary>
public static class FileSizeLimit
{
    /// <summary>How to start <c>dotnet ARGUMENTS</c> with its files capped at <paramref name="maxBytes"/> (with <see cref="ChildProcess.Start"/>).</summary>
    public static ProcessStartInfo Dotnet(long maxBytes, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("bash");
        // Writing past the cap also raises SIGXFSZ, which would end the process: the shell ignores it, and an ignored
        // signal stays ignored across exec. (exec keeps the process id, so the caller's Process is the dotnet one.)
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("trap '' XFSZ; exec prlimit --fsize=\"$0\": -- dotnet \"$@\"");
        start.ArgumentList.Add(maxBytes.ToString(CultureInfo.InvariantCulture));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The runtime's write-xor-execute mode maps generated code through a file in memory that grows past any small
        // cap, and the runtime gives up at start when it cannot.
        start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        return start;
    }

    /// <summary>Lifts the cap of a process started by <see cref="Dotnet"/> while it runs.</summary>
    public static async Task LiftAsync(ChildProcess process)
    {
        using var prlimit = Process.Start(new ProcessStartInfo("prlimit", ["--pid", process.Id.ToString(CultureInfo.InvariantCulture), "--fsize=unlimited:unlimited"]))!;
        await prlimit.WaitForExitAsync();
        if (prlimit.ExitCode != 0)
        {
            throw new InvalidOperationException($"prlimit exited with {prlimit.ExitCode}");
        }
    }
}
