using Microsoft.Data.Sqlite;
using Switchboard.Testing;

namespace Switchboard.Delivery.Tests.Crash;

/// <summary>
/// A crash test on SQLite: a folder of its own for the database, and the child processes it started, which are
/// disposed (killed if still running) before the folder is removed.
/// </summary>
public abstract class CrashFolderTest(string prefix) : IDisposable
{
    private readonly List<ChildProcess> _processes = [];

    protected string Folder { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>Starts a child process, disposed with the test.</summary>
    protected ChildProcess Start(System.Diagnostics.ProcessStartInfo start)
    {
        var process = ChildProcess.Start(start);
        _processes.Add(process);
        return process;
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(Folder, recursive: true);
        GC.SuppressFinalize(this);
    }
}
