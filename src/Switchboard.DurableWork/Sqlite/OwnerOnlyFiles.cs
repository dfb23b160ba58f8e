namespace Switchboard.DurableWork.Sqlite;

/// <summary>
/// Data folders and database files readable by their owner only, as the key files are: a folder made here is 0700 (one
/// that already exists keeps its mode: it may be the app's own folder), and every file of a database (the database, its
/// -wal and -shm, the lock files) is 0600. SQLite gives the -wal and -shm files the mode of the database file, so the
/// database file is made 0600 before SQLite first opens it.
/// </summary>
internal static class OwnerOnlyFiles
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, OwnerReadWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>Options to open a file that, if this creates it, is created readable by its owner only.</summary>
    public static FileStreamOptions Options(FileMode mode, FileAccess access, FileShare share)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = 1 };
        if (!OperatingSystem.IsWindows() && mode != FileMode.Open)
        {
            options.UnixCreateMode = OwnerReadWrite;
        }

        return options;
    }

    /// <summary>Makes a file that exists readable by its owner only (one made by an earlier version may be 0644).</summary>
    public static void Restrict(string path)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(path))
        {
            File.SetUnixFileMode(path, OwnerReadWrite);
        }
    }

    /// <summary>The database file, made empty (SQLite reads an empty file as an empty database) if missing, and its -wal and -shm if there are any, all owner-only.</summary>
    public static void PrepareDatabase(string databasePath)
    {
        using (new FileStream(databasePath, Options(FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite)))
        {
        }

        foreach (var file in new[] { databasePath, databasePath + "-wal", databasePath + "-shm" })
        {
            Restrict(file);
        }
    }
}
