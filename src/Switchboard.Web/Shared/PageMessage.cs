namespace Switchboard.Web.Shared;

/// <summary>A page that only says something (not found, refused), inside its site's frame.</summary>
public sealed record PageMessage(string Title, string Detail, string SiteName, IReadOnlyList<(string Href, string Label)> Nav);
