using Switchboard.Signing;

namespace Switchboard.Cli.Tests;

public sealed class KeysCommandTests : TempFolderTest
{
    [Fact]
    public async Task Generate_writes_a_private_key_with_mode_0600_and_prints_the_public_key_it_writes()
    {
        var run = await Cli.Run(TimeProvider.System, "keys", "generate", "--out", Folder.FullName);

        Assert.True(run.ExitCode == 0, run.ToString());
        var privatePath = PathOf("ed25519.key");
        var publicText = File.ReadAllText(PathOf("ed25519.pub"));
        Assert.Equal(run.Output, publicText);
        Assert.Single(run.OutputLines);
        Assert.EndsWith("\n", publicText, StringComparison.Ordinal);
        Assert.True(Ed25519PublicKey.TryParse(publicText, out var publicKey, out var error), error);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(privatePath));
        }

        using var privateKey = Ed25519PrivateKey.ReadFromFile(privatePath);
        Assert.Equal(publicKey.ToBase64(), privateKey.PublicKey.ToBase64());
        Assert.Equal(string.Empty, run.Error);
    }

    [Fact]
    public async Task Generate_creates_the_folder_when_it_is_missing()
    {
        var nested = PathOf("a/b/keys");

        var run = await Cli.Run(TimeProvider.System, "keys", "generate", "--out", nested);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(File.Exists(Path.Combine(nested, "ed25519.key")));
        Assert.True(File.Exists(Path.Combine(nested, "ed25519.pub")));
    }

    [Fact]
    public async Task Generate_refuses_to_overwrite_an_existing_key()
    {
        Assert.Equal(0, (await Cli.Run(TimeProvider.System, "keys", "generate", "--out", Folder.FullName)).ExitCode);
        var before = (File.ReadAllText(PathOf("ed25519.key")), File.ReadAllText(PathOf("ed25519.pub")));

        var run = await Cli.Run(TimeProvider.System, "keys", "generate", "--out", Folder.FullName);

        Cli.AssertCleanFailure(run, 1, "refusing to overwrite");
        Assert.Equal(string.Empty, run.Output);
        Assert.Equal(before, (File.ReadAllText(PathOf("ed25519.key")), File.ReadAllText(PathOf("ed25519.pub"))));
    }

    [Fact]
    public async Task Generate_refuses_when_only_the_public_key_exists()
    {
        File.WriteAllText(PathOf("ed25519.pub"), "keep me\n");

        Cli.AssertCleanFailure(await Cli.Run(TimeProvider.System, "keys", "generate", "--out", Folder.FullName), 1, "refusing to overwrite");
        Assert.Equal("keep me\n", File.ReadAllText(PathOf("ed25519.pub")));
        Assert.False(File.Exists(PathOf("ed25519.key")));
    }

    [Fact]
    public async Task Generate_without_out_names_the_missing_option()
    {
        var run = await Cli.Run(TimeProvider.System, "keys", "generate");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--out", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_generated_keys_differ()
    {
        var first = await Cli.Run(TimeProvider.System, "keys", "generate", "--out", PathOf("one"));
        var second = await Cli.Run(TimeProvider.System, "keys", "generate", "--out", PathOf("two"));
        Assert.NotEqual(first.Output, second.Output);
    }
}
