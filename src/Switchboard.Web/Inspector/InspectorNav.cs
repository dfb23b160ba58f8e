namespace Switchboard.Web.Inspector;

/// <summary>The inspector's frame: its name and its one section.</summary>
internal static class InspectorNav
{
    public const string SiteName = "switchboard listen";

    public static IReadOnlyList<(string Href, string Label)> Items { get; } = [("/", "Requests")];
}
