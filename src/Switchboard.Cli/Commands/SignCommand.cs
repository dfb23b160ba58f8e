using System.CommandLine;
using Switchboard.Signing;

namespace Switchboard.Cli.Commands;

/// <summary><c>switchboard sign --key FILE --body FILE [--timestamp SECONDS]</c></summary>
internal static class SignCommand
{
    public static Command Create(TimeProvider time)
    {
        var keyOption = new Option<FileInfo>("--key") { Description = "Private key file written by 'keys generate'", Required = true };
        var bodyOption = new Option<string>("--body") { Description = "File holding the exact body bytes to sign ('-' for standard input)", Required = true };
        var timestampOption = new Option<long?>("--timestamp") { Description = "Unix time in seconds to sign with (default: now)" };
        var command = new Command("sign", "Sign a body as Telnyx does and print the telnyx-timestamp and telnyx-signature-ed25519 headers")
        {
            keyOption, bodyOption, timestampOption,
        };
        command.SetAction(parse =>
        {
            var error = parse.InvocationConfiguration.Error;
            if (!CliFiles.TryReadBody(parse.GetRequiredValue(bodyOption), error, out var body)
                || !CliFiles.TryReadKey(parse.GetRequiredValue(keyOption), error, out var key))
            {
                return 1;
            }

            using var signingKey = key;
            var timestamp = parse.GetValue(timestampOption) is { } seconds
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : time.GetUtcNow();
            var (signature, timestampHeader) = new Ed25519WebhookSigner(signingKey).SignParts(body, timestamp);
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine($"{TelnyxHeaders.Timestamp}: {timestampHeader}");
            output.WriteLine($"{TelnyxHeaders.Signature}: {signature}");
            return 0;
        });
        return command;
    }
}
