using System.Globalization;
using System.Text;

namespace Switchboard.DurableWork.Sqlite;

/// <summary>
/// One process per SQLite database: an exclusive OS lock on <c>{database}.lock</c> (flock on Linux and macOS, a share
/// lock on Windows), held while the store is open and dropped by the OS when the process ends, however it ends. The
/// holder's process id is written beside it, in <c>{database}.lock.owner</c>, for the message a second process gets
/// (the locked file itself cannot be read by another process).
/// </summary>
internal sealed class SqliteFileLock : IDisposable
{
    private readonly FileStream _lock;
    private readonly string _ownerPath;

    private SqliteFileLock(FileStream held, string ownerPath)
    {
        _lock = held;
        _ownerPath = ownerPath;
    }

    public static SqliteFileLock Acquire(string databasePath)
    {
        var lockPath = databasePath + ".lock";
        var ownerPath = lockPath + ".owner";
        FileStream held;
        try
        {
            held = new FileStream(lockPath, OwnerOnlyFiles.Options(FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            OwnerOnlyFiles.Restrict(lockPath);
        }
        catch (IOException ex) when (File.Exists(lockPath))
        {
            var folder = Path.GetDirectoryName(databasePath);
            throw new WorkStoreInUseException(
                $"the data folder {folder} is in use by another process{OwnerText(ownerPath)}: its database {Path.GetFileName(databasePath)} " +
                "is open there, and one process at a time may open it. Stop that process, or use another data folder.", ex);
        }

        try
        {
            using (var owner = new StreamWriter(ownerPath, Encoding.UTF8, OwnerOnlyFiles.Options(FileMode.Create, FileAccess.Write, FileShare.Read)))
            {
                owner.Write(string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId} {Environment.MachineName}\n"));
            }

            OwnerOnlyFiles.Restrict(ownerPath);
        }
        catch (IOException)
        {
            // Only the message of a second process needs it.
        }
        catch (UnauthorizedAccessException)
        {
        }

        return new SqliteFileLock(held, ownerPath);
    }

    private static string OwnerText(string ownerPath)
    {
        try
        {
            var words = File.ReadAllText(ownerPath).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return words.Length >= 1 && int.TryParse(words[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                ? string.Create(CultureInfo.InvariantCulture, $" (process id {pid})")
                : "";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_ownerPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        _lock.Dispose();
    }
}
