using System.Globalization;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Signing;

namespace Switchboard.Cli.Tests;

public sealed class SignAndVerifyCommandTests : TempFolderTest
{
    private const long Now = 1614265330;

    /// <summary>RFC 8032 test 1's seed; node:crypto signs "1614265330|" + <see cref="Body"/> with it as <see cref="NodeSignature"/>.</summary>
    private const string Seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    private const string Body = """{"data":{"event_type":"message.sent","id":"0b6b3b1e-5d3e-4b38-9d67-0ad0b0f0c2a1"}}""";
    private const string NodeSignature = "E/MKQHR9HZ41/Vx5Zx+8K9TS51Ib0Bh1lCA2j1SoI5tWda2Q82ZhlIm8+Y9twqfPIG5BNRBChvJouBo1yIYZBA==";

    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(Now));
    private readonly Ed25519PrivateKey _key = Ed25519PrivateKey.Parse(Convert.ToBase64String(Convert.FromHexString(Seed)));

    private string KeyFile()
    {
        var path = PathOf("ed25519.key");
        if (!File.Exists(path))
        {
            _key.WriteToFile(path);
        }

        return path;
    }

    private static (string Timestamp, string Signature) HeadersOf(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(2, run.OutputLines.Length);
        Assert.StartsWith("telnyx-timestamp: ", run.OutputLines[0], StringComparison.Ordinal);
        Assert.StartsWith("telnyx-signature-ed25519: ", run.OutputLines[1], StringComparison.Ordinal);
        return (run.OutputLines[0]["telnyx-timestamp: ".Length..], run.OutputLines[1]["telnyx-signature-ed25519: ".Length..]);
    }

    private Task<CliRun> Verify(string publicKey, string timestamp, string signature, string bodyPath, params string[] extra) =>
        Cli.Run(_time, ["verify", "--public-key", publicKey, "--timestamp", timestamp, "--signature", signature, "--body", bodyPath, .. extra]);

    [Fact]
    public async Task Sign_prints_exactly_the_two_telnyx_headers_node_crypto_would_produce()
    {
        var body = WriteFile("body.json", Encoding.UTF8.GetBytes(Body));

        var run = await Cli.Run(_time, "sign", "--key", KeyFile(), "--body", body, "--timestamp", "1614265330");

        Assert.Equal($"telnyx-timestamp: 1614265330{Environment.NewLine}telnyx-signature-ed25519: {NodeSignature}{Environment.NewLine}", run.Output);
        Assert.Equal(string.Empty, run.Error);
    }

    [Fact]
    public async Task Sign_honours_timestamp_and_defaults_to_the_clock()
    {
        var body = WriteFile("body.json", Encoding.UTF8.GetBytes(Body));

        var given = HeadersOf(await Cli.Run(_time, "sign", "--key", KeyFile(), "--body", body, "--timestamp", "1700000000"));
        var now = HeadersOf(await Cli.Run(_time, "sign", "--key", KeyFile(), "--body", body));

        Assert.Equal("1700000000", given.Timestamp);
        Assert.Equal(Now.ToString(CultureInfo.InvariantCulture), now.Timestamp);
        Assert.NotEqual(given.Signature, now.Signature);
    }

    [Fact]
    public async Task Signature_covers_the_exact_body_bytes_and_verifies()
    {
        byte[] raw = [.. "{\"text\": \"caf\u00e9\"}\r\n"u8, 0xff, 0x00];
        var body = WriteFile("body.bin", raw);

        var (timestamp, signature) = HeadersOf(await Cli.Run(_time, "sign", "--key", KeyFile(), "--body", body, "--timestamp", "1614265400"));

        var verifier = new Ed25519WebhookVerifier([_key.PublicKey], _time);
        var headers = new WebhookHeaders().Set(TelnyxHeaders.Timestamp, timestamp).Set(TelnyxHeaders.Signature, signature);
        Assert.True(verifier.Verify(raw, headers).IsValid);
        Assert.True(_key.PublicKey.Verify([.. "1614265400|"u8, .. raw], Convert.FromBase64String(signature)));
    }

    [Fact]
    public async Task Verify_says_valid_and_exits_0_for_a_good_signature()
    {
        var body = WriteFile("body.json", Encoding.UTF8.GetBytes(Body));

        var run = await Verify(_key.PublicKey.ToBase64(), "1614265330", NodeSignature, body);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("valid", run.Output.Trim());
        Assert.Equal(string.Empty, run.Error);
    }

    [Fact]
    public async Task Sign_then_verify_round_trips_through_the_cli()
    {
        var keys = await Cli.Run(_time, "keys", "generate", "--out", PathOf("keys"));
        var body = WriteFile("body.json", Encoding.UTF8.GetBytes(Body));
        var (timestamp, signature) = HeadersOf(await Cli.Run(_time, "sign", "--key", PathOf("keys/ed25519.key"), "--body", body));

        var run = await Verify(keys.Output.Trim(), timestamp, signature, body);

        Assert.True(run.ExitCode == 0, run.ToString());
    }

    [Fact]
    public async Task Verify_fails_for_a_tampered_body()
    {
        var body = WriteFile("body.json", Encoding.UTF8.GetBytes(Body.Replace("message.sent", "message.sEnt", StringComparison.Ordinal)));
        var run = await Verify(_key.PublicKey.ToBase64(), "1614265330", NodeSignature, body);

        Cli.AssertCleanFailure(run, 1, "signature_mismatch", "raw request bytes");
        Assert.Equal(string.Empty, run.Output);
    }

    [Fact]
    public async Task Verify_fails_for_the_wrong_key()
    {
        using var other = Ed25519PrivateKey.Generate();
        var body = WriteFile("body.json", Encoding.UTF8.GetBytes(Body));

        Cli.AssertCleanFailure(await Verify(other.PublicKey.ToBase64(), "1614265330", NodeSignature, body), 1, "signature_mismatch");
    }

    [Fact]
    public async Task Verify_fails_for_a_stale_timestamp_unless_the_tolerance_allows_it()
    {
        var body = WriteFile("body.json", Encoding.UTF8.GetBytes(Body));
        _time.Advance(TimeSpan.FromSeconds(301));

        Cli.AssertCleanFailure(await Verify(_key.PublicKey.ToBase64(), "1614265330", NodeSignature, body), 1,
            "timestamp_outside_tolerance", "301 seconds");
        Assert.Equal(0, (await Verify(_key.PublicKey.ToBase64(), "1614265330", NodeSignature, body, "--tolerance", "400")).ExitCode);
    }

    [Theory]
    [InlineData("not-a-key", "invalid_key")]
    [InlineData("AAAA", "invalid_key")]
    public async Task Verify_fails_for_a_bad_public_key(string publicKey, string reason)
    {
        var body = WriteFile("body.json", Encoding.UTF8.GetBytes(Body));
        Cli.AssertCleanFailure(await Verify(publicKey, "1614265330", NodeSignature, body), 1, reason);
    }

    [Theory]
    [InlineData("1614265330000", NodeSignature, "milliseconds")]
    [InlineData("16142653x0", NodeSignature, "malformed_timestamp")]
    [InlineData("1614265330", "not base64!", "malformed_signature")]
    [InlineData("1614265330", "AAAA", "wrong_signature_length")]
    public async Task Verify_names_what_is_wrong_with_the_headers(string timestamp, string signature, string reason)
    {
        var body = WriteFile("body.json", Encoding.UTF8.GetBytes(Body));
        Cli.AssertCleanFailure(await Verify(_key.PublicKey.ToBase64(), timestamp, signature, body), 1, reason);
    }

    [Fact]
    public async Task Sign_with_a_key_file_that_is_not_a_key_fails_with_a_clear_message()
    {
        var key = WriteFile("bad.key", "this is not a key\n"u8.ToArray());
        var body = WriteFile("body.json", Encoding.UTF8.GetBytes(Body));

        var run = await Cli.Run(_time, "sign", "--key", key, "--body", body);

        Cli.AssertCleanFailure(run, 1, "bad.key", "not base64 of 32 bytes");
    }

    [Fact]
    public async Task Sign_with_missing_files_fails_with_a_clear_message()
    {
        var body = WriteFile("body.json", Encoding.UTF8.GetBytes(Body));

        Cli.AssertCleanFailure(await Cli.Run(_time, "sign", "--key", PathOf("missing.key"), "--body", body), 1, "missing.key");
        Cli.AssertCleanFailure(await Cli.Run(_time, "sign", "--key", KeyFile(), "--body", PathOf("missing.json")), 1, "missing.json");
    }

    [Fact]
    public async Task Verify_with_a_missing_body_file_fails_with_a_clear_message() =>
        Cli.AssertCleanFailure(await Verify(_key.PublicKey.ToBase64(), "1614265330", NodeSignature, PathOf("missing.json")), 1, "missing.json");

    [Fact]
    public async Task Sign_rejects_a_timestamp_that_is_not_a_number()
    {
        var run = await Cli.Run(_time, "sign", "--key", KeyFile(), "--body", WriteFile("b", [1]), "--timestamp", "soon");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("soon", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_reads_the_headers_sign_printed_from_a_file()
    {
        var body = WriteFile("body.json", Encoding.UTF8.GetBytes(Body));
        var signed = await Cli.Run(_time, "sign", "--key", KeyFile(), "--body", body);
        var headers = WriteFile("headers.txt", Encoding.UTF8.GetBytes(signed.Output));

        var valid = await Cli.Run(_time, "verify", "--public-key", _key.PublicKey.ToBase64(), "--headers", headers, "--body", body);
        WriteFile("body.json", Encoding.UTF8.GetBytes(Body + " "));
        var tampered = await Cli.Run(_time, "verify", "--public-key", _key.PublicKey.ToBase64(), "--headers", headers, "--body", body);

        Assert.True(valid.ExitCode == 0, valid.ToString());
        Assert.Equal("valid", valid.Output.Trim());
        Cli.AssertCleanFailure(tampered, 1, "signature does not match");
    }

    [Theory]
    [InlineData]
    [InlineData("--timestamp", "1")]
    [InlineData("--headers", "h.txt", "--timestamp", "1", "--signature", "x")]
    public async Task Verify_wants_the_timestamp_and_signature_or_a_headers_file(params string[] given)
    {
        var run = await Cli.Run(_time, ["verify", "--public-key", _key.PublicKey.ToBase64(), "--body", "b.json", .. given]);

        Cli.AssertCleanFailure(run, 1, "--headers");
    }
}
