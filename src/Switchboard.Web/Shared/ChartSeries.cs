namespace Switchboard.Web.Shared;

/// <summary>One line of a <see cref="LineChart"/>: a value per point of the time axis, null where there is none.</summary>
/// <param name="Color">The palette entry (0 green, 1 red, 2 orange, 3 blue, ...); by default the series' place.</param>
public sealed record ChartSeries(string Name, IReadOnlyList<double?> Values, int? Color = null);
