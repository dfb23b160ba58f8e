using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.DurableWork;

namespace Switchboard.Receiver.Storage;

/// <summary>
/// The receiver's default store: one SQLite file in <see cref="TelnyxWebhookOptions.DataDirectory"/>, one receiver process
/// per file, opened when the host starts. A data directory that cannot hold it (not creatable, not writable, in use by
/// another process) stops the start with the reason, instead of the receiver starting and answering every webhook 503.
/// </summary>
internal static partial class SqliteInbox
{
    public static WorkStoreOpening Build(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<TelnyxWebhookOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        var logger = services.GetRequiredService<ILogger<ReceiverStorage>>();
        var environment = services.GetService<IHostEnvironment>();
        var configuration = services.GetService<IConfiguration>();
        return async cancellationToken =>
        {
            if (string.IsNullOrWhiteSpace(options.DataDirectory))
            {
                var missing = new ArgumentException($"{nameof(TelnyxWebhookOptions.DataDirectory)} is required for the SQLite inbox (or choose another store: UsePostgreSql in Switchboard.Receiver.PostgreSql, or AddWorkStore)");
                throw new WebhookStoreUnavailableException(missing.Message, missing);
            }

            IWorkStore store;
            try
            {
                store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = options.SqlitePath }, time, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new WebhookStoreUnavailableException($"the webhook inbox cannot be opened at {options.SqlitePath}: {ex.Message}", ex);
            }

            var dataDirectory = Path.GetFullPath(options.DataDirectory);
            if (environment is not null && IsWatchedForConfiguration(dataDirectory, environment.ContentRootPath, configuration))
            {
                LogDataInsideContentRoot(logger, dataDirectory, environment.ContentRootPath);
            }

            return store;
        };
    }

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
