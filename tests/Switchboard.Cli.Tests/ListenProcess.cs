using System.Diagnostics;
using System.Text.RegularExpressions;
using Switchboard.Signing;
using Switchboard.Testing;

namespace Switchboard.Cli.Tests;

/// <summary><c>dotnet switchboard.dll listen ...</c> as a child process, killed on dispose.</summary>
internal sealed partial class ListenProcess : IDisposable
{
    private readonly Process _process;

    private ListenProcess(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    /// <summary>
    /// Starts the listener. With <paramref name="maxFileBytes"/>, no file it writes may grow past that many bytes: a
    /// full disk as far as its database is concerned (see <see cref="FileSizeLimit"/>).
    /// </summary>
    public static async Task<ListenProcess> StartAsync(string[] args, long? maxFileBytes = null)
    {
        string[] arguments = [Path.Combine(AppContext.BaseDirectory, "switchboard.dll"), "listen", .. args];
        ProcessStartInfo start;
        if (maxFileBytes is { } limit)
        {
            start = FileSizeLimit.Dotnet(limit, arguments);
        }
        else
        {
            start = new ProcessStartInfo("dotnet", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        }

        var process = Process.Start(start)!;
        var url = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is not null && ListeningOn().Match(line.Data) is { Success: true } match)
            {
                url.TrySetResult(match.Groups[1].Value);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = await Task.WhenAny(url.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        if (started != url.Task)
        {
            process.Kill();
            process.Dispose();
            throw new InvalidOperationException("switchboard listen did not start");
        }

        return new ListenProcess(process, await url.Task);
    }

    /// <summary>Lifts the file size limit of <see cref="StartAsync"/> while the process runs: the disk has room again.</summary>
    public Task LiftFileSizeLimitAsync() => FileSizeLimit.LiftAsync(_process);

    public bool HasExited => _process.HasExited;

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
    public void Kill9()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"Listening on (http://127\.0\.0\.1:\d+)/webhooks/telnyx")]
    private static partial Regex ListeningOn();
}
