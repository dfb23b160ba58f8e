using System.CommandLine;

namespace Switchboard.Cli.Tests;

/// <summary>What one in-process run of the <c>switchboard</c> command printed and returned.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    public string[] OutputLines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}--- stderr\n{Error}";
}

internal static class Cli
{
    public static async Task<CliRun> Run(TimeProvider time, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await SwitchboardCommand.Create(time).Parse(args).InvokeAsync(new InvocationConfiguration
        {
            Output = output,
            Error = error,
            ProcessTerminationTimeout = null,
        });
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Asserts a failure that explains itself: non-zero exit, a message on stderr, no stack trace.</summary>
    public static void AssertCleanFailure(CliRun run, int expectedExitCode, params string[] messageParts)
    {
        Assert.True(run.ExitCode == expectedExitCode, $"expected exit {expectedExitCode}\n{run}");
        Assert.False(string.IsNullOrWhiteSpace(run.Error), $"expected a message on stderr\n{run}");
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", run.Error, StringComparison.OrdinalIgnoreCase);
        foreach (var part in messageParts)
        {
            Assert.Contains(part, run.Error, StringComparison.OrdinalIgnoreCase);
        }
    }
}

/// <summary>A temporary folder for one test, removed afterwards.</summary>
public abstract class TempFolderTest : IDisposable
{
    protected DirectoryInfo Folder { get; } = Directory.CreateTempSubdirectory("switchboard-cli-");

    protected string PathOf(string name) => Path.Combine(Folder.FullName, name);

    protected string WriteFile(string name, byte[] content)
    {
        File.WriteAllBytes(PathOf(name), content);
        return PathOf(name);
    }

    public void Dispose()
    {
        Folder.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }
}
