using System.Diagnostics;
using System.Text;
using Switchboard.Events;
using Switchboard.Receiver;
using Switchboard.Web.Inspector;

namespace Switchboard.Web.Tests;

/// <summary>The inspector's "Copy as curl": what a shell makes of the command, and what a terminal is shown when it is pasted.</summary>
public sealed class CurlCommandTests
{
    // Ends bash's bracketed paste early, erases the line (Ctrl-U) and runs the next line: what an unsigned body can carry.
    private const string PasteBreakout = "{\"x\":\"\u001b[201~\u0015\ntouch /tmp/pwned\n\u202Egnp.exe\"}";

    [Fact]
    public async Task A_body_and_headers_with_control_characters_are_escaped_and_the_shell_gets_their_exact_bytes()
    {
        var headers = new List<KeyValuePair<string, string>>
        {
            new("Content-Type", "application/json"),
            new("X-Escape", "a\u001b[201~\u0015\u0007b 'quoted' \\x41 \u200d\u0085"),
            new("telnyx-signature-ed25519", "c2lnbmF0dXJl"),
            new("Host", "left-to-curl"),
        };
        var command = CurlCommand.For(Recorded(Encoding.UTF8.GetBytes(PasteBreakout + " é 😀"), headers), "http://127.0.0.1:9090/webhooks/telnyx");

        AssertNoRawControlCharacter(command);
        var (arguments, stdin) = await RunWithFakeCurlAsync(command);
        Assert.Equal(
            ["-sS", "-X", "POST", "http://127.0.0.1:9090/webhooks/telnyx",
                "-H", "Content-Type: application/json", "-H", $"X-Escape: {headers[1].Value}", "-H", "telnyx-signature-ed25519: c2lnbmF0dXJl",
                "--data-binary", PasteBreakout + " é 😀"],
            arguments);
        Assert.Empty(stdin);
    }

    [Fact]
    public async Task A_body_that_is_no_text_goes_through_base64_byte_for_byte()
    {
        byte[] body = [0x7b, 0x00, 0x1b, 0x5b, 0x32, 0x30, 0x31, 0x7e, 0xff, 0x0a, 0x15];
        var command = CurlCommand.For(Recorded(body, [new("X-Ok", "plain")]), "http://127.0.0.1:9090/webhooks/telnyx");

        AssertNoRawControlCharacter(command);
        var (arguments, stdin) = await RunWithFakeCurlAsync(command);
        Assert.Equal(["-sS", "-X", "POST", "http://127.0.0.1:9090/webhooks/telnyx", "-H", "X-Ok: plain", "--data-binary", "@-"], arguments);
        Assert.Equal(body, stdin);
    }

    [Fact]
    public void A_plain_value_stays_single_quoted()
    {
        Assert.Equal("'it'\\''s $HOME `x`'", CurlCommand.ShellWord("it's $HOME `x`"));
        Assert.Equal("$'a\\x1B[201~\\x15\\x0Ab\\'c\\\\d\\xE2\\x80\\xAE'", CurlCommand.ShellWord("a\u001b[201~\u0015\nb'c\\d\u202E"));
    }

    private static RecordedRequest Recorded(byte[] body, List<KeyValuePair<string, string>> headers) =>
        new(DateTimeOffset.UnixEpoch, "rejected", 401, "missing_signature", null, null, null, null, headers, body);

    /// <summary>The only control characters are the command's own line continuations (backslash, newline).</summary>
    private static void AssertNoRawControlCharacter(string command)
    {
        var rest = command.Replace(" \\\n  ", " ", StringComparison.Ordinal);
        Assert.False(TerminalText.ContainsUnsafe(rest), "the command carries a raw control or format character: " + TerminalText.Escape(rest));
    }

    /// <summary>Runs the command in bash with <c>curl</c> replaced by a function that prints its arguments (NUL-separated), then its stdin.</summary>
    private static async Task<(List<string> Arguments, byte[] Stdin)> RunWithFakeCurlAsync(string command)
    {
        const string FakeCurl = "curl() { for a in \"$@\"; do printf '%s\\0' \"$a\"; done; printf '\\0'; if [ \"${@: -1}\" = '@-' ]; then cat; fi; }\n";
        var start = new ProcessStartInfo("bash", ["-c", FakeCurl + command]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start)!;
        using var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await copy;
        Assert.True(process.ExitCode == 0, $"bash exited {process.ExitCode}: {await error}");
        var bytes = output.ToArray();
        var end = bytes.AsSpan().IndexOf("\0\0"u8);
        var arguments = Encoding.UTF8.GetString(bytes, 0, end).Split('\0').ToList();
        return (arguments, bytes[(end + 2)..]);
    }
}
