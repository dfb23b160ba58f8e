using System.CommandLine;
using System.Text.RegularExpressions;
using Switchboard.Testing;

namespace Switchboard.Cli.Tests;

/// <summary><c>switchboard listen</c> run in-process on a free port, with what it printed so far; stopped on dispose.</summary>
internal sealed partial class InProcessListen : IAsyncDisposable
{
    private readonly CapturedText _output = new();
    private readonly CapturedText _error = new();
    private readonly CancellationTokenSource _stop = new();
    private Task<int> _run = Task.FromResult(0);

    private InProcessListen()
    {
    }

    public string BaseUrl { get; private set; } = "";

    public string Output => _output.Text;

    public string Error => _error.Text;

    /// <summary>Starts <c>listen --urls http://127.0.0.1:0 ARGS</c> (or the <c>--urls</c> in <paramref name="args"/>) and waits until it listens.</summary>
    public static async Task<InProcessListen> StartAsync(params string[] args)
    {
        var listen = new InProcessListen();
        string[] arguments = args.Contains("--urls") ? ["listen", .. args] : ["listen", "--urls", "http://127.0.0.1:0", .. args];
        listen._run = SwitchboardCommand.Create(TimeProvider.System).Parse(arguments)
            .InvokeAsync(new InvocationConfiguration { Output = listen._output.Writer, Error = listen._error.Writer, ProcessTerminationTimeout = null }, listen._stop.Token);
        await listen.WaitForAsync(() => ListeningOn().IsMatch(listen.Output), "listen did not start");
        listen.BaseUrl = ListeningOn().Match(listen.Output).Groups[1].Value;
        return listen;
    }

    /// <summary>Waits for something listen does in the background; fails at once, with what it printed, if listen stops.</summary>
    public async Task WaitForAsync(Func<bool> condition, string what)
    {
        try
        {
            await Eventually.TrueAsync(() => _run.IsCompleted ? throw new InvalidOperationException($"listen stopped\n{Output}\n{Error}") : condition(), what);
        }
        catch (TimeoutException timeout)
        {
            throw new TimeoutException($"{timeout.Message}\n--- stdout\n{Output}\n--- stderr\n{Error}", timeout);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Assert.Equal(0, await _run);
        _stop.Dispose();
    }

    [GeneratedRegex(@"Listening on (http://[^/\s]+)/webhooks/telnyx")]
    private static partial Regex ListeningOn();
}
