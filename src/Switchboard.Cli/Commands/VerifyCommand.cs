using System.CommandLine;
using Switchboard.Signing;

namespace Switchboard.Cli.Commands;

/// <summary>
/// <c>switchboard verify --public-key BASE64 (--timestamp T --signature S | --headers FILE) --body FILE [--tolerance SECONDS]</c>.
/// The header values come from the request as received, or from what <c>switchboard sign</c> printed (<c>--headers</c>
/// reads <c>name: value</c> lines, the form both <c>sign</c> and <c>curl -D</c> write).
/// </summary>
internal static class VerifyCommand
{
    public static Command Create(TimeProvider time)
    {
        var publicKeyOption = new Option<string>("--public-key") { Description = "The account's Ed25519 public key, base64 of 32 bytes", Required = true };
        var timestampOption = new Option<string>("--timestamp") { Description = "The telnyx-timestamp header value (as 'sign' prints it, or from the request)" };
        var signatureOption = new Option<string>("--signature") { Description = "The telnyx-signature-ed25519 header value (as 'sign' prints it, or from the request)" };
        var headersOption = new Option<string>("--headers")
        {
            Description = "File of 'name: value' header lines holding telnyx-timestamp and telnyx-signature-ed25519, e.g. what 'sign' printed ('-' for standard input); instead of --timestamp and --signature",
        };
        var bodyOption = new Option<string>("--body") { Description = "File holding the raw body bytes as received ('-' for standard input)", Required = true };
        var toleranceOption = new Option<int>("--tolerance")
        {
            Description = "Largest accepted distance between the timestamp and now, in seconds",
            DefaultValueFactory = _ => 300,
        };
        var command = new Command("verify", "Verify a Telnyx webhook signature; exit 0 and print 'valid', or exit 1 with the reason on stderr")
        {
            publicKeyOption, timestampOption, signatureOption, headersOption, bodyOption, toleranceOption,
        };
        command.Validators.Add(result =>
        {
            var hasHeaders = result.GetResult(headersOption) is not null;
            var hasParts = result.GetResult(timestampOption) is not null || result.GetResult(signatureOption) is not null;
            if (hasHeaders == hasParts || (hasParts && (result.GetResult(timestampOption) is null || result.GetResult(signatureOption) is null)))
            {
                result.AddError("give --timestamp and --signature, or --headers FILE (e.g. what 'switchboard sign' printed)");
            }
        });
        command.SetAction(parse =>
        {
            var error = parse.InvocationConfiguration.Error;
            var verifier = Ed25519WebhookVerifier.FromBase64(
                [parse.GetRequiredValue(publicKeyOption)], time, TimeSpan.FromSeconds(parse.GetValue(toleranceOption)));
            var headers = new WebhookHeaders();
            if (parse.GetValue(headersOption) is { } headersFile)
            {
                if (!CliFiles.TryReadBody(headersFile, error, out var headerBytes))
                {
                    return 1;
                }

                foreach (var line in System.Text.Encoding.UTF8.GetString(headerBytes).Split('\n'))
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon > 0)
                    {
                        headers.Set(line[..colon].Trim(), line[(colon + 1)..].Trim());
                    }
                }
            }
            else
            {
                headers.Set(TelnyxHeaders.Timestamp, parse.GetRequiredValue(timestampOption))
                    .Set(TelnyxHeaders.Signature, parse.GetRequiredValue(signatureOption));
            }

            if (!CliFiles.TryReadBody(parse.GetRequiredValue(bodyOption), error, out var body))
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
