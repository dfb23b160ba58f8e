using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Switchboard.Testing;

/// <summary>One line a child process wrote to its standard output, and when the test read it (a <see cref="Stopwatch"/> timestamp).</summary>
public sealed record OutputLine(string Text, long ReadAt)
{
    /// <summary>How long after this line <paramref name="timestamp"/> came (negative if it came before).</summary>
    public TimeSpan Until(long timestamp) => Stopwatch.GetElapsedTime(ReadAt, timestamp);
}

/// <summary>
/// A real child process, for tests that kill, pause and restart what they test. Its standard output is read line by line
/// as it comes, each line stamped with the time it was read, so that a test can measure from a line such as "Listening
/// on" to what it sees next; its standard error is kept. Killed (with its children) on dispose.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<OutputLine> _lines = [];
    private readonly StringBuilder _error = new();
    private volatile bool _outputClosed;

    private ChildProcess(Process process)
    {
        _process = process;
        StartedAt = Stopwatch.GetTimestamp();
    }

    /// <summary>The line that <see cref="StartAsync"/> waited for: the process is ready from when it was read.</summary>
    public OutputLine? Ready { get; private set; }

    /// <summary>When the process was started (a <see cref="Stopwatch"/> timestamp).</summary>
    public long StartedAt { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>What the process has written to its standard output so far, a line each.</summary>
    public IReadOnlyList<OutputLine> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>What the process has written to its standard error so far.</summary>
    public string Error
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    /// <summary>Starts <c>dotnet ASSEMBLY ARGUMENTS</c>.</summary>
    public static ChildProcess StartDotnet(string assembly, IEnumerable<string> arguments) =>
        Start(new ProcessStartInfo("dotnet", [assembly, .. arguments]));

    /// <summary>Starts the process, reading its standard output and error (the redirections are set here).</summary>
    public static ChildProcess Start(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var child = new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start"));
        child._process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is null)
            {
                child._outputClosed = true;
                return;
            }

            lock (child._lines)
            {
                child._lines.Add(new OutputLine(line.Data, Stopwatch.GetTimestamp()));
            }
        };
        child._process.ErrorDataReceived += (_, line) =>
        {
            lock (child._error)
            {
                child._error.AppendLine(line.Data);
            }
        };
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    /// <summary>
    /// Starts the process and waits until it writes a line that <paramref name="ready"/> accepts (<see cref="Ready"/>);
    /// kills it if it ends or times out first.
    /// </summary>
    public static async Task<ChildProcess> StartAsync(ProcessStartInfo start, Func<string, bool> ready, string what)
    {
        var child = Start(start);
        try
        {
            child.Ready = await child.WaitForLineAsync(ready, what);
            return child;
        }
        catch
        {
            child.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The first line (since the start) that <paramref name="match"/> accepts, once it has been written; fails at once if
    /// the process ends without writing one.
    /// </summary>
    public async Task<OutputLine> WaitForLineAsync(Func<string, bool> match, string what, TimeSpan? patience = null)
    {
        try
        {
            return (await Eventually.GetAsync(
                () =>
                {
                    var closed = _outputClosed;
                    var line = Lines.FirstOrDefault(l => match(l.Text));
                    return Task.FromResult(line is null && closed ? throw new InvalidOperationException($"the process ended before {what}\n{this}") : line);
                },
                line => line is not null,
                what,
                patience))!;
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n{this}", ex);
        }
    }

    /// <summary>SIGKILL, and waits until it is gone: no shutdown code of the process runs.</summary>
    public void Kill9()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>SIGSTOP: the process stops where it is (its connections stay open, its timers do not fire) until <see cref="ResumeAsync"/>.</summary>
    public Task PauseAsync() => SignalAsync("STOP");

    /// <summary>SIGCONT: a paused process goes on.</summary>
    public Task ResumeAsync() => SignalAsync("CONT");

    /// <summary>SIGTERM, then waits for the process to end; returns its exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan? patience = null)
    {
        await SignalAsync("TERM");
        return await WaitForExitAsync(patience);
    }

    /// <summary>Waits for the process to end by itself; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? patience = null)
    {
        using var timeout = new CancellationTokenSource(patience ?? Eventually.DefaultPatience);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the process did not end\n{this}");
        }

        return _process.ExitCode;
    }

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {_process.Id} exited with {kill.ExitCode}");
        }
    }

    /// <summary>The process id, whether it ended, and what it wrote: for assertion messages.</summary>
    public override string ToString() =>
        $"process {_process.Id} ({(_process.HasExited ? $"exited with {_process.ExitCode}" : "running")})\n" +
        $"--- stdout\n{string.Join('\n', Lines.Select(l => l.Text))}\n--- stderr\n{Error}";

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
