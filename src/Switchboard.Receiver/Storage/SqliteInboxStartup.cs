using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Switchboard.Receiver.Storage;

/// <summary>
/// Opens the SQLite inbox when the host starts, so a data directory that cannot hold it (not creatable, not writable)
/// stops the start with the reason, instead of the receiver starting and answering every webhook 503. PostgreSQL is
/// still opened on first use: a database server that is not up yet is not a configuration mistake.
/// </summary>
internal sealed partial class SqliteInboxStartup(
    ReceiverStorage storage,
    IOptions<TelnyxWebhookOptions> options,
    ILogger<SqliteInboxStartup> logger,
    IHostEnvironment? environment = null,
    IConfiguration? configuration = null) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!storage.OpensAtStart)
        {
            return;
        }

        try
        {
            await storage.GetStoreAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new WebhookStoreUnavailableException($"the webhook inbox cannot be opened at {storage.Where}: {ex.Message}", ex);
        }

        var dataDirectory = Path.GetFullPath(options.Value.DataDirectory);
        if (environment is not null && IsWatchedForConfiguration(dataDirectory, environment.ContentRootPath, configuration))
        {
            LogDataInsideContentRoot(logger, dataDirectory, environment.ContentRootPath);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// True when the host's configuration reload (on unless <c>hostBuilder:reloadConfigOnChange</c> is false) watches the
    /// content root, subfolders included, and the data folder is one of them: each database write is then a watcher event.
    /// </summary>
    internal static bool IsWatchedForConfiguration(string dataDirectory, string contentRoot, IConfiguration? configuration)
    {
        if (string.IsNullOrEmpty(contentRoot) || !bool.TryParse(configuration?["hostBuilder:reloadConfigOnChange"] ?? "true", out var reload) || !reload)
        {
            return false;
        }

        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(contentRoot)) + Path.DirectorySeparatorChar;
        return (Path.TrimEndingDirectorySeparator(dataDirectory) + Path.DirectorySeparatorChar).StartsWith(root, StringComparison.Ordinal);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The webhook data folder {DataDirectory} is inside the content root {ContentRoot}, which the host watches for configuration changes: every database write is also a file-watcher event (about 15% more CPU per webhook under load). Put DataDirectory elsewhere, or set DOTNET_hostBuilder__reloadConfigOnChange=false")]
    private static partial void LogDataInsideContentRoot(ILogger logger, string dataDirectory, string contentRoot);
}
