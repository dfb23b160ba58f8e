using Switchboard.Testing;

namespace Switchboard.Cli.Tests;

/// <summary>
/// <c>listen</c> is a tool run in the user's project folder, whose <c>appsettings.json</c> belongs to the user's app.
/// Read by listen, its Kestrel endpoints would take the app's port, and its reload watcher would see every write listen
/// makes to its data folder (by default inside the working folder).
/// </summary>
public sealed class ListenWorkingFolderTests : TempFolderTest
{
    [Fact]
    public async Task The_working_folders_appsettings_is_not_read()
    {
        Assert.Equal(0, (await Cli.Run(TimeProvider.System, "keys", "generate", "--out", PathOf("keys"))).ExitCode);
        var appPort = Loopback.FreePort();
        Directory.CreateDirectory(PathOf("project"));
        File.WriteAllText(PathOf("project/appsettings.json"), $$"""{ "Kestrel": { "Endpoints": { "App": { "Url": "http://127.0.0.1:{{appPort}}" } } } }""");

        using var listen = await ListenProcess.StartAsync(
            ["--urls", "http://127.0.0.1:0", "--public-key", File.ReadAllText(PathOf("keys/ed25519.pub")).Trim()],
            workingDirectory: PathOf("project"));

        // Kestrel binds every endpoint before listen says where it listens.
        Assert.False(await Loopback.AcceptsAsync(appPort), $"listen took the port of the app's appsettings.json\n{listen.Process}");
        Assert.True(Directory.Exists(PathOf("project/.data/listen")));
    }
}
