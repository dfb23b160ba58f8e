using System.CommandLine;
using System.Text.RegularExpressions;
using Switchboard.Cli;

namespace Switchboard.Web.Tests;

/// <summary>
/// <c>switchboard serve</c> or <c>listen</c> run in this process as the command line runs them (the same command, its
/// start-up lines parsed for the page's address), on a free port and a temp data folder; stopped on dispose.
/// </summary>
internal sealed partial class InProcessSwitchboard : IAsyncDisposable
{
    public const string ApiKey = "web-tests-api-key-0123456789";

    private readonly CapturedText _output = new();
    private readonly CapturedText _error = new();
    private readonly CancellationTokenSource _stop = new();
    private Task<int> _run = Task.FromResult(0);

    private InProcessSwitchboard()
    {
        Folder = Directory.CreateTempSubdirectory("switchboard-web-").FullName;
    }

    public string Folder { get; }

    /// <summary>The page link printed at start (with <c>?token=</c> when one is needed), as reached from this machine.</summary>
    public string PageLink { get; private set; } = "";

    /// <summary>The base URL (scheme, 127.0.0.1 and the port it bound).</summary>
    public string BaseUrl { get; private set; } = "";

    public string Output => _output.Text;

    public string Error => _error.Text;

    /// <summary><c>serve --lifecycle-delay 0</c> with a fixed API key; <paramref name="args"/> add or override (<c>--urls</c>).</summary>
    public static Task<InProcessSwitchboard> ServeAsync(params string[] args) =>
        StartAsync(folder => ["serve", "--data", folder, "--api-key", ApiKey, "--lifecycle-delay", "0", .. args], DashboardLine());

    /// <summary><c>listen</c> verifying with <paramref name="publicKey"/>.</summary>
    public static Task<InProcessSwitchboard> ListenAsync(string publicKey, params string[] args) =>
        StartAsync(folder => ["listen", "--data", folder, "--public-key", publicKey, .. args], InspectorLine());

    private static async Task<InProcessSwitchboard> StartAsync(Func<string, string[]> arguments, Regex ready)
    {
        var host = new InProcessSwitchboard();
        var args = arguments(host.Folder);
        if (!args.Contains("--urls"))
        {
            args = [.. args, "--urls", "http://127.0.0.1:0"];
        }

        host._run = SwitchboardCommand.Create(TimeProvider.System).Parse(args)
            .InvokeAsync(new InvocationConfiguration { Output = host._output.Writer, Error = host._error.Writer, ProcessTerminationTimeout = null }, host._stop.Token);
        await Eventually.TrueAsync(() => host._run.IsCompleted || ready.IsMatch(host.Output), $"{args[0]} to print its page link");
        Assert.False(host._run.IsCompleted, $"{args[0]} stopped\n{host.Output}\n{host.Error}");
        host.PageLink = ready.Match(host.Output).Groups[1].Value.Replace("://0.0.0.0:", "://127.0.0.1:", StringComparison.Ordinal);
        host.BaseUrl = new Uri(host.PageLink).GetLeftPart(UriPartial.Authority);
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Assert.Equal(0, await _run);
        _stop.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"Dashboard:\s+(http://\S+)")]
    private static partial Regex DashboardLine();

    [GeneratedRegex(@"\(inspector: (http://\S+)\)")]
    private static partial Regex InspectorLine();
}
