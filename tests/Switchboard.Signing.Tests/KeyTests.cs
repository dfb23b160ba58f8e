namespace Switchboard.Signing.Tests;

/// <summary>Key generation, import/export as base64 of the raw 32 bytes, and key files.</summary>
public sealed class KeyTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("switchboard-keys-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public void Generated_key_round_trips_through_base64_and_raw_bytes()
    {
        using var key = Ed25519PrivateKey.Generate();
        var base64 = key.ExportBase64();
        Assert.Equal(32, Convert.FromBase64String(base64).Length);
        Assert.Equal(32, key.PublicKey.Export().Length);

        using var parsed = Ed25519PrivateKey.Parse(base64);
        Assert.Equal(key.Export(), parsed.Export());
        Assert.Equal(key.PublicKey.ToBase64(), parsed.PublicKey.ToBase64());

        Assert.True(Ed25519PrivateKey.TryImport(key.Export(), out var imported, out _));
        using (imported)
        {
            Assert.Equal(key.PublicKey.ToBase64(), imported.PublicKey.ToBase64());
        }

        var publicKey = Ed25519PublicKey.Parse(key.PublicKey.ToBase64());
        Assert.Equal(key.PublicKey.Export(), publicKey.Export());
        Assert.Equal(key.PublicKey.ToBase64(), publicKey.ToString());
        Assert.True(publicKey.Verify("hello"u8, key.Sign("hello"u8)));
    }

    [Fact]
    public void Two_generated_keys_differ()
    {
        using var a = Ed25519PrivateKey.Generate();
        using var b = Ed25519PrivateKey.Generate();
        Assert.NotEqual(a.ExportBase64(), b.ExportBase64());
    }

    [Fact]
    public void Parsing_tolerates_surrounding_whitespace_such_as_a_trailing_newline()
    {
        using var key = Ed25519PrivateKey.Generate();
        using var parsed = Ed25519PrivateKey.Parse($"  {key.ExportBase64()}\r\n");
        Assert.Equal(key.ExportBase64(), parsed.ExportBase64());
        Assert.Equal(key.PublicKey.ToBase64(), Ed25519PublicKey.Parse(key.PublicKey.ToBase64() + "\n").ToBase64());
    }

    [Fact]
    public void WriteToFile_creates_a_file_only_its_owner_can_read()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes only
        }

        var path = Path.Combine(_folder.FullName, "ed25519.key");
        using var key = Ed25519PrivateKey.Generate();

        key.WriteToFile(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(key.ExportBase64() + "\n", File.ReadAllText(path));
        using var read = Ed25519PrivateKey.ReadFromFile(path);
        Assert.Equal(key.ExportBase64(), read.ExportBase64());
    }

    [Fact]
    public void WriteToFile_refuses_to_overwrite_an_existing_file()
    {
        var path = Path.Combine(_folder.FullName, "ed25519.key");
        File.WriteAllText(path, "precious");
        using var key = Ed25519PrivateKey.Generate();

        Assert.Throws<IOException>(() => key.WriteToFile(path));
        Assert.Equal("precious", File.ReadAllText(path));
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage that is not base64!")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n")]
    public void ReadFromFile_of_garbage_names_the_file_and_the_problem(string content)
    {
        var path = Path.Combine(_folder.FullName, "bad.key");
        File.WriteAllText(path, content);

        var error = Assert.Throws<FormatException>(() => Ed25519PrivateKey.ReadFromFile(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("not base64 of 32 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFromFile_of_a_wrong_length_key_says_how_long_it_is()
    {
        var path = Path.Combine(_folder.FullName, "short.key");
        File.WriteAllText(path, Convert.ToBase64String(new byte[16]));

        var error = Assert.Throws<FormatException>(() => Ed25519PrivateKey.ReadFromFile(path));

        Assert.Contains("32 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("got 16", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    public void Private_key_of_the_wrong_length_is_refused(int length)
    {
        Assert.False(Ed25519PrivateKey.TryParse(Convert.ToBase64String(new byte[length]), out var key, out var error));
        Assert.Null(key);
        Assert.NotNull(error);
        Assert.Contains("32 bytes", error, StringComparison.Ordinal);

        Assert.False(Ed25519PrivateKey.TryImport(new byte[length], out _, out var importError));
        Assert.Contains($"got {length}", importError, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => Ed25519PrivateKey.Parse(Convert.ToBase64String(new byte[length])));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    public void Public_key_of_the_wrong_length_is_refused(int length)
    {
        Assert.False(Ed25519PublicKey.TryParse(Convert.ToBase64String(new byte[length]), out var key, out var error));
        Assert.Null(key);
        Assert.Contains($"32 bytes; got {length}", error, StringComparison.Ordinal);
        Assert.Contains($"got {length}", Assert.Throws<FormatException>(() => Ed25519PublicKey.Parse(Convert.ToBase64String(new byte[length]))).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("%%%")]
    [InlineData("AAAA AAAA")]
    public void Public_key_that_is_not_base64_is_refused_without_throwing(string? text)
    {
        Assert.False(Ed25519PublicKey.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
        Assert.False(Ed25519PrivateKey.TryParse(text, out _, out var privateError));
        Assert.False(string.IsNullOrEmpty(privateError));
    }

    [Fact]
    public void Very_long_key_text_is_refused_without_throwing()
    {
        var text = Convert.ToBase64String(new byte[10_000]);
        Assert.False(Ed25519PublicKey.TryParse(text, out _, out _));
        Assert.False(Ed25519PrivateKey.TryParse(text, out _, out _));
    }
}
