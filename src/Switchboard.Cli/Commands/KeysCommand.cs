using System.CommandLine;
using Switchboard.Signing;

namespace Switchboard.Cli.Commands;

/// <summary><c>switchboard keys generate --out DIR</c></summary>
internal static class KeysCommand
{
    public const string PrivateKeyFile = "ed25519.key";
    public const string PublicKeyFile = "ed25519.pub";

    public static Command Create()
    {
        var outOption = new Option<DirectoryInfo>("--out")
        {
            Description = $"Folder to write {PrivateKeyFile} (private, mode 0600) and {PublicKeyFile} (base64 public key) into; created if missing",
            Required = true,
        };
        var generate = new Command("generate", "Generate an Ed25519 key pair for signing webhooks, and print the public key") { outOption };
        generate.SetAction(parse =>
        {
            var folder = parse.GetRequiredValue(outOption);
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var privatePath = Path.Combine(folder.FullName, PrivateKeyFile);
            var publicPath = Path.Combine(folder.FullName, PublicKeyFile);
            if (File.Exists(privatePath) || File.Exists(publicPath))
            {
                error.WriteLine($"refusing to overwrite an existing key in {folder.FullName}; remove {PrivateKeyFile} and {PublicKeyFile} first");
                return 1;
            }

            folder.Create();
            using var key = Ed25519PrivateKey.Generate();
            key.WriteToFile(privatePath);
            File.WriteAllText(publicPath, key.PublicKey.ToBase64() + "\n");
            output.WriteLine(key.PublicKey.ToBase64());
            return 0;
        });

        var dataOption = ServeCommand.DataOption();
        var show = new Command("show", "Print the public key (base64) of a serve data folder's key pair: the key receivers verify its webhooks with") { dataOption };
        show.SetAction(parse =>
        {
            var folder = Path.GetFullPath(parse.GetValue(dataOption)!);
            try
            {
                if (Platform.Hosting.PlatformFiles.ReadPublicKey(folder) is { } publicKey)
                {
                    parse.InvocationConfiguration.Output.WriteLine(publicKey);
                    return 0;
                }

                parse.InvocationConfiguration.Error.WriteLine($"no key pair in {folder} yet: 'switchboard serve --data {folder}' makes one on its first start");
                return 1;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                parse.InvocationConfiguration.Error.WriteLine($"cannot read the key pair in {folder}: {ex.Message}");
                return 1;
            }
        });

        return new Command("keys", "Manage signing keys") { generate, show };
    }
}
