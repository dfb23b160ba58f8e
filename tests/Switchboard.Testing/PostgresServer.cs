using System.Diagnostics;
using Npgsql;

namespace Switchboard.Testing;

/// <summary>
/// A real PostgreSQL server for the tests, started from Debian's binaries (<c>initdb</c>, <c>pg_ctl</c>) in a
/// temporary folder on a free port of 127.0.0.1, stopped and deleted on dispose. As root (CI), the server runs
/// as the <c>postgres</c> OS user, since PostgreSQL refuses to run as root. Missing binaries fail the tests.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    /// <summary>
    /// The xunit collection whose classes share one server. xunit looks for its definition in the test assembly, so each
    /// test project declares it: <c>[CollectionDefinition(PostgresServer.Collection)] public sealed class PostgresCollection : ICollectionFixture&lt;PostgresServer&gt;;</c>
    /// </summary>
    public const string Collection = "PostgreSQL server";

    private readonly List<NpgsqlDataSource> _dataSources = [];
    private string? _folder;
    private string? _binFolder;
    private bool _started;

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        _binFolder = FindBinFolder();
        _folder = Directory.CreateTempSubdirectory("switchboard-pg-").FullName;
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", ["postgres:postgres", _folder]);
        }

        var data = Path.Combine(_folder, "data");
        await RunPostgresToolAsync(asRoot, "initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync"]);
        Port = Loopback.FreePort();
        await StartAsync();
        AppDomain.CurrentDomain.ProcessExit += StopOnExit;
    }

    /// <summary>
    /// Starts the server again after <see cref="StopAsync"/>, on the same port with the same data; returns once it accepts
    /// connections.
    /// </summary>
    public async Task StartAsync()
    {
        // fsync and synchronous_commit are off: a test server's data need not survive a power cut.
        var serverOptions = $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c max_connections=300 " +
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        await RunPostgresToolAsync(Environment.UserName == "root", "pg_ctl",
            ["-D", Path.Combine(_folder!, "data"), "-l", Path.Combine(_folder!, "server.log"), "-w", "-t", "60", "-o", serverOptions, "start"]);
        _started = true;
    }

    /// <summary>
    /// Stops the server as an operator's restart does (<c>pg_ctl -m fast stop</c>: open sessions are ended with 57P01),
    /// keeping its data; <see cref="StartAsync"/> starts it again.
    /// </summary>
    public async Task StopAsync()
    {
        await RunPostgresToolAsync(Environment.UserName == "root", "pg_ctl", ["-D", Path.Combine(_folder!, "data"), "-m", "fast", "-w", "-t", "60", "stop"]);
        _started = false;
    }

    /// <summary>A new, empty database on the server, and a data source for it (disposed with the server).</summary>
    public async Task<NpgsqlDataSource> CreateDatabaseAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N");
        await using (var admin = NpgsqlDataSource.Create(ConnectionString("postgres", pooling: false)))
        await using (var create = admin.CreateCommand($"CREATE DATABASE {name}"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var dataSource = NpgsqlDataSource.Create(ConnectionString(name, pooling: true));
        lock (_dataSources)
        {
            _dataSources.Add(dataSource);
        }

        return dataSource;
    }

    public string ConnectionString(string database, bool pooling = true) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = "postgres",
            Database = database,
            Pooling = pooling,
            MaxPoolSize = 40,
        }.ToString();

    public async Task DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= StopOnExit;
        foreach (var dataSource in _dataSources)
        {
            await dataSource.DisposeAsync();
        }

        Stop();
    }

    private void StopOnExit(object? sender, EventArgs e) => Stop();

    private void Stop()
    {
        if (_folder is null)
        {
            return;
        }

        if (_started)
        {
            var asRoot = Environment.UserName == "root";
            var pgCtl = Path.Combine(_binFolder!, "pg_ctl");
            string[] stop = ["-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "stop"];
            using var process = asRoot
                ? Process.Start("runuser", ["-u", "postgres", "--", pgCtl, .. stop])
                : Process.Start(pgCtl, stop);
            process.WaitForExit(30_000);
            _started = false;
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean from /tmp; nothing a test can do about it.
        }

        _folder = null;
    }

    private Task RunPostgresToolAsync(bool asRoot, string tool, string[] arguments)
    {
        var path = Path.Combine(_binFolder!, tool);
        return asRoot ? RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments]) : RunAsync(path, arguments);
    }

    private static async Task RunAsync(string fileName, string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await output}\n{await error}");
        }
    }

    private static string FindBinFolder()
    {
        if (Environment.GetEnvironmentVariable("SWITCHBOARD_PG_BIN") is { Length: > 0 } configured)
        {
            return configured;
        }

        var debian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        if (debian is not null)
        {
            return debian;
        }

        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(folder, "initdb")) && File.Exists(Path.Combine(folder, "pg_ctl")))
            {
                return folder;
            }
        }

        throw new InvalidOperationException(
            "PostgreSQL is not installed: initdb and pg_ctl were found neither in /usr/lib/postgresql/*/bin nor on PATH. " +
            "Run scripts/install-deps.sh as root (it installs Debian's 'postgresql' package), or set SWITCHBOARD_PG_BIN.");
    }
}
