using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Switchboard.Receiver;

/// <summary>Says loudly, once at start, that webhooks are being accepted without verification.</summary>
internal sealed partial class UnsignedModeWarning(IOptions<TelnyxWebhookOptions> options, ILogger<UnsignedModeWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.AcceptUnsigned)
        {
            LogUnsigned(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "AcceptUnsigned is on: webhooks are NOT verified and are stored as unverified. Use this for local development only.")]
    private static partial void LogUnsigned(ILogger logger);
}
