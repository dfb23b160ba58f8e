using System.Diagnostics;
using System.Text.RegularExpressions;
using Npgsql;

namespace Switchboard.Platform.Tests.Support;

/// <summary>
/// <c>switchboard serve</c> as a real process (the CLI built beside these tests), on a free loopback port; ready once it
/// printed "Ready.". Killed with SIGKILL by <see cref="Kill"/>, as a crash would.
/// </summary>
public sealed partial class ServeProcess : IAsyncDisposable
{
    public const string ApiKey = "process-test-key-0123456789";

    private readonly Process _process;
    private readonly List<string> _output = [];

    private ServeProcess(Process process) => _process = process;

    public Uri BaseAddress { get; private set; } = null!;

    public bool Ready => _process is { HasExited: false } && BaseAddress is not null;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>
    /// The arguments every process of one PostgreSQL deployment shares (add <c>--role</c>): a pooled connection to
    /// <paramref name="database"/>, no attempt timing out into the next minute on a loaded machine.
    /// </summary>
    public static string[] OnPostgres(string folder, string database, string lifecycleDelay) =>
    [
        "--data", Path.Combine(folder, "data"), "--storage", "postgres",
        "--connection-string", new NpgsqlConnectionStringBuilder(database) { Pooling = true }.ToString(),
        "--lifecycle-delay", lifecycleDelay, "--attempt-timeout", "30s",
    ];

    public static Task<ServeProcess> StartAsync(params string[] arguments) => StartWithAsync(["--api-key", ApiKey, .. arguments]);

    /// <summary>Starts serve with exactly these arguments after <c>serve --urls http://127.0.0.1:0</c> (no API key of the tests').</summary>
    public static async Task<ServeProcess> StartWithAsync(string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["SWITCHBOARD_API_KEY"] = "";
        foreach (var argument in (string[])[CliAssembly(), "serve", "--urls", "http://127.0.0.1:0", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        var serve = new ServeProcess(Process.Start(start)!);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        DataReceivedEventHandler collect = (_, line) =>
        {
            if (line.Data is null)
            {
                return;
            }

            lock (serve._output)
            {
                serve._output.Add(line.Data);
            }

            if (BaseUrlLine().Match(line.Data) is { Success: true } match)
            {
                serve.BaseAddress = new Uri(match.Groups[1].Value);
            }

            if (line.Data == "Ready.")
            {
                ready.TrySetResult();
            }
        };
        serve._process.OutputDataReceived += collect;
        serve._process.ErrorDataReceived += collect;
        serve._process.BeginOutputReadLine();
        serve._process.BeginErrorReadLine();
        var exited = serve._process.WaitForExitAsync();
        if (await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(60))) != ready.Task)
        {
            if (!serve._process.HasExited)
            {
                serve.Kill();
                throw new InvalidOperationException($"serve did not get ready:\n{serve.Output}");
            }

            await exited; // the output is complete once the process has exited and its streams ended
        }

        return serve;
    }

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>A value serve printed at start (<c>API key</c>, <c>Public key</c>, <c>Data folder</c>).</summary>
    public string Printed(string label) =>
        Regex.Match(Output, $@"{Regex.Escape(label)}:\s+(\S+)") is { Success: true } match ? match.Groups[1].Value : throw new InvalidOperationException($"serve printed no {label}:\n{Output}");

    /// <summary>SIGTERM (as Ctrl-C), then waits for the exit; returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>Runs the CLI to the end (for verbs that finish): exit code, stdout and stderr.</summary>
    public static async Task<(int Code, string Output, string Error)> RunCliAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])[CliAssembly(), .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    public HttpClient Client()
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", ApiKey);
        return client;
    }

    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // A clean stop first (SIGTERM), as Ctrl-C would; a kill if it does not stop.
            Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Kill();
            }
        }

        _process.Dispose();
    }

    /// <summary>The CLI is built beside this test project (same configuration and framework).</summary>
    private static string CliAssembly()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var path = Path.Combine(testBin.Parent!.Parent!.Parent!.Parent!.Parent!.FullName, "src", "Switchboard.Cli", "bin", testBin.Parent.Name, testBin.Name, "switchboard.dll");
        Assert.True(File.Exists(path), $"the CLI is not built: {path}");
        return path;
    }

    [GeneratedRegex(@"API base URL:\s+(\S+)/v2")]
    private static partial Regex BaseUrlLine();
}
