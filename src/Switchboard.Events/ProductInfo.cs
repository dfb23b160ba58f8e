using System.Reflection;

namespace Switchboard.Events;

/// <summary>Who is sending: the <c>User-Agent</c> on every webhook request Switchboard makes.</summary>
public static class ProductInfo
{
    public static string Version { get; } =
        typeof(ProductInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";

    public static string UserAgent { get; } = $"Switchboard/{Version} (+webhooks)";
}
