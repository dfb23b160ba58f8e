using System.Diagnostics;
using Switchboard.Delivery.Outbox;
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
