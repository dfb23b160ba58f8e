namespace Switchboard.Web.Shared;

/// <summary>One line of a <see cref="LineChart"/>: a value per point of the time axis, null where there is none.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<double?> Values);
