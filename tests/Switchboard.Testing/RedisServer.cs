using System.Diagnostics;
using System.Globalization;

namespace Switchboard.Testing;

/// <summary>
/// A real <c>redis-server</c> (Debian's) on 127.0.0.1 and a free port, without persistence, stopped on dispose.
/// Missing binaries fail the tests (scripts/install-deps.sh installs them).
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private ChildProcess? _process;

    public int Port { get; private set; }

    public string Configuration => $"127.0.0.1:{Port}";

    public async Task InitializeAsync()
    {
        Port = Loopback.FreePort();
        var process = _process = ChildProcess.Start(new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" },
        });
        await Eventually.TrueAsync(
            async () => process.HasExited ? throw new InvalidOperationException($"redis-server ended\n{process}") : await Loopback.AcceptsAsync(Port),
            "redis-server to accept connections",
            TimeSpan.FromSeconds(30));
    }

    /// <summary>Stops the server (SIGSTOP) until <see cref="ResumeAsync"/>: connections stay open, commands get no answer.</summary>
    public Task PauseAsync() => _process!.PauseAsync();

    public Task ResumeAsync() => _process!.ResumeAsync();

    public Task DisposeAsync()
    {
        _process?.Dispose();
        return Task.CompletedTask;
    }
}
