namespace Switchboard.Web.Dashboard;

/// <summary>The dashboard's sections, in the order the nav shows them.</summary>
internal static class DashboardNav
{
    public const string SiteName = "Switchboard";

    public static IReadOnlyList<(string Href, string Label)> Items { get; } =
    [
        ("/", "Deliveries"),
        ("/calls", "Calls"),
        ("/charts", "Charts"),
        ("/config", "Configuration"),
        ("/try", "Try it"),
    ];
}
