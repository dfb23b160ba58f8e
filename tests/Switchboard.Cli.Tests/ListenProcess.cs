using System.Diagnostics;
using System.Text.RegularExpressions;
using Switchboard.Signing;
using Switchboard.Testing;

namespace Switchboard.Cli.Tests;

/// <summary><c>dotnet switchboard.dll listen ...</c> as a child process, killed on dispose.</summary>
internal sealed partial class ListenProcess : IDisposable
{
    private ListenProcess(ChildProcess process)
    {
        Process = process;
        Ready = process.Ready!;
        BaseUrl = ListeningOn().Match(Ready.Text).Groups[1].Value;
    }

    /// <summary>The CLI, built beside the tests.</summary>
    public static string Cli { get; } = Path.Combine(AppContext.BaseDirectory, "switchboard.dll");

    public ChildProcess Process { get; }

    /// <summary>The "Listening on" line: from when it was read, the listener takes webhooks.</summary>
    public OutputLine Ready { get; }

    public string BaseUrl { get; }

    /// <summary>
    /// Starts the listener (in <paramref name="workingDirectory"/>, or this process's) and waits for its "Listening on" line.
    /// With <paramref name="maxFileBytes"/>, no file it writes may grow past that many bytes: a full disk as far as its
    /// database is concerned (see <see cref="FileSizeLimit"/>).
    /// </summary>
    public static async Task<ListenProcess> StartAsync(string[] args, long? maxFileBytes = null, string? workingDirectory = null)
    {
        string[] arguments = [Cli, "listen", .. args];
        var start = maxFileBytes is { } limit ? FileSizeLimit.Dotnet(limit, arguments) : new ProcessStartInfo("dotnet", arguments);
        start.WorkingDirectory = workingDirectory ?? "";
        return new ListenProcess(await ChildProcess.StartAsync(start, ListeningOn().IsMatch, "switchboard listen to start"));
    }

    /// <summary>Lifts the file size limit of <see cref="StartAsync"/> while the process runs: the disk has room again.</summary>
    public Task LiftFileSizeLimitAsync() => FileSizeLimit.LiftAsync(Process);

    public bool HasExited => Process.HasExited;

    /// <summary>POSTs <paramref name="body"/> to the webhook endpoint, signed now as Telnyx signs.</summary>
    public Task<HttpResponseMessage> PostAsync(HttpClient client, Ed25519PrivateKey key, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        foreach (var (name, value) in new Ed25519WebhookSigner(key).Sign(body, DateTimeOffset.UtcNow, ""))
        {
            content.Headers.TryAddWithoutValidation(name, value);
        }

        return client.PostAsync(BaseUrl + "/webhooks/telnyx", content);
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill9() => Process.Kill9();

    public void Dispose() => Process.Dispose();

    [GeneratedRegex(@"Listening on (http://127\.0\.0\.1:\d+)/webhooks/telnyx")]
    private static partial Regex ListeningOn();
}
