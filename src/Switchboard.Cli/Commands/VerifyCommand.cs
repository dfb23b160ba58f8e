using System.CommandLine;
using Switchboard.Signing;

namespace Switchboard.Cli.Commands;

/// <summary><c>switchboard verify --public-key BASE64 --timestamp T --signature S --body FILE [--tolerance SECONDS]</c></summary>
internal static class VerifyCommand
{
    public static Command Create(TimeProvider time)
    {
        var publicKeyOption = new Option<string>("--public-key") { Description = "The account's Ed25519 public key, base64 of 32 bytes", Required = true };
        var timestampOption = new Option<string>("--timestamp") { Description = "The telnyx-timestamp header value", Required = true };
        var signatureOption = new Option<string>("--signature") { Description = "The telnyx-signature-ed25519 header value", Required = true };
        var bodyOption = new Option<string>("--body") { Description = "File holding the raw body bytes as received ('-' for standard input)", Required = true };
        var toleranceOption = new Option<int>("--tolerance")
        {
            Description = "Largest accepted distance between the timestamp and now, in seconds",
            DefaultValueFactory = _ => 300,
        };
        var command = new Command("verify", "Verify a Telnyx webhook signature; exit 0 and print 'valid', or exit 1 with the reason on stderr")
        {
            publicKeyOption, timestampOption, signatureOption, bodyOption, toleranceOption,
        };
        command.SetAction(parse =>
        {
            var verifier = Ed25519WebhookVerifier.FromBase64(
                [parse.GetRequiredValue(publicKeyOption)], time, TimeSpan.FromSeconds(parse.GetValue(toleranceOption)));
            var headers = new WebhookHeaders()
                .Set(TelnyxHeaders.Timestamp, parse.GetRequiredValue(timestampOption))
                .Set(TelnyxHeaders.Signature, parse.GetRequiredValue(signatureOption));
            if (!CliFiles.TryReadBody(parse.GetRequiredValue(bodyOption), parse.InvocationConfiguration.Error, out var body))
            {
                return 1;
            }

            var result = verifier.Verify(body, headers);
            if (result.IsValid)
            {
                parse.InvocationConfiguration.Output.WriteLine("valid");
                return 0;
            }

            parse.InvocationConfiguration.Error.WriteLine(result.ToString());
            return 1;
        });
        return command;
    }
}
