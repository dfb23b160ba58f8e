using System.Diagnostics;
using Switchboard.Delivery.Outbox;
using Switchboard.Events;
using Switchboard.Testing;

namespace Switchboard.Delivery.Tests.Crash;

/// <summary>The dispatcher process of tests/Switchboard.Delivery.CrashHost, built beside this test project (same configuration and framework).</summary>
internal static class DispatcherHost
{
    /// <summary>The schedule the host's <c>deliver</c> mode delivers with; the tests publish with it (the attempt count is stored then).</summary>
    public static readonly DeliverySchedule Schedule = DeliverySchedule.Parse("0s,1s,2s");

    public static string Assembly { get; } = Find();

    /// <summary>Starts <c>deliver OPTIONS</c> (a dispatcher alone) and waits for its "ready" line.</summary>
    public static Task<ChildProcess> StartAsync(params string[] options) =>
        ChildProcess.StartAsync(new ProcessStartInfo("dotnet", [Assembly, "deliver", .. options]), l => l.StartsWith("ready ", StringComparison.Ordinal), "the dispatcher to be ready");

    /// <summary>Publishes <paramref name="count"/> webhooks to <paramref name="target"/>; returns their event ids.</summary>
    public static async Task<string[]> PublishAsync(WebhookOutbox outbox, Uri target, int count)
    {
        var webhooks = Enumerable.Range(0, count)
            .Select(_ => OutboundWebhook.From(SampleEvents.Create(EventTypes.MessageSent, TimeProvider.System), [new WebhookTarget(target)]))
            .ToList();
        await outbox.PublishAsync(webhooks);
        return [.. webhooks.Select(w => w.EventId)];
    }

    /// <summary>
    /// A delivery whose first attempt was cut off (by a kill or a takeover) and whose second went through: two attempts,
    /// the first logged as interrupted (failed, no response), nothing else.
    /// </summary>
    public static void AssertDeliveredAfterOneInterruption(WebhookDelivery? delivery)
    {
        Assert.NotNull(delivery);
        Assert.Equal((DeliveryStatus.Delivered, 2), (delivery.Status, delivery.AttemptCount));
        Assert.Equal([2, 1], delivery.Attempts.Select(a => a.Attempt));
        Assert.Equal(["delivered", "failed"], delivery.Attempts.Select(a => a.Status));
        var interrupted = delivery.Attempts[1];
        Assert.Equal("interrupted", Assert.Single(interrupted.Errors).Code);
        Assert.Null(interrupted.Http.Response);
    }

    private static string Find()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testBin.Name;
        var configuration = testBin.Parent!.Name;
        var tests = testBin.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(tests, "Switchboard.Delivery.CrashHost", "bin", configuration, framework, "Switchboard.Delivery.CrashHost.dll");
        Assert.True(File.Exists(path), $"the crash host is not built: {path}");
        return path;
    }
}
