namespace Switchboard.Testing;

/// <summary>Checks that a data folder and the files in it can be read by their owner only (0700 and 0600), as a key file.</summary>
public static class OwnerOnly
{
    private const UnixFileMode ReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Asserts the modes of <paramref name="folder"/> and its files (but <paramref name="publicFiles"/>), and that <paramref name="expectedFiles"/> are among them; returns the files checked.</summary>
    public static IReadOnlyList<string> AssertFolder(string folder, IEnumerable<string> expectedFiles, params string[] publicFiles)
    {
        if (OperatingSystem.IsWindows())
        {
            return [];
        }

        Assert.Equal(ReadWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        var files = Directory.GetFiles(folder).Select(Path.GetFileName).Where(f => !publicFiles.Contains(f)).ToList();
        Assert.All(expectedFiles, f => Assert.Contains(f, files));
        foreach (var file in files)
        {
            var mode = File.GetUnixFileMode(Path.Combine(folder, file!));
            Assert.True(mode == ReadWrite, $"{file} is {Convert.ToString((int)mode, 8)}, not 600");
        }

        return files!;
    }
}
