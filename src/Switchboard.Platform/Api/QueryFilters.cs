using System.Globalization;
using Switchboard.Platform.Storage;

namespace Switchboard.Platform.Api;

/// <summary>
/// Typed readers of <c>filter[...]</c> values (from <see cref="ApiResults.ReadFilters"/>): each wrong value adds an
/// error naming the parameter, and the caller answers them all at once.
/// </summary>
internal sealed class QueryFilters(IReadOnlyDictionary<string, string> filters)
{
    private readonly List<ApiError> _errors = [];

    public string? String(string name) => filters.GetValueOrDefault(name);

    public bool? Bool(string name)
    {
        if (filters.GetValueOrDefault(name) is not { } text)
        {
            return null;
        }

        if (bool.TryParse(text, out var value))
        {
            return value;
        }

        Bad(name, "true or false");
        return null;
    }

    public int? Int(string name, int min, int max)
    {
        if (filters.GetValueOrDefault(name) is not { } text)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        Bad(name, $"a whole number from {min} to {max}");
        return null;
    }

    /// <summary>
    /// <c>{name}[gte]</c> and <c>{name}[lte]</c>, or (<paramref name="exclusive"/>) <c>{name}[gt]</c> and <c>{name}[lt]</c>,
    /// as ISO 8601 times; stored times have milliseconds, so an exclusive bound is the next millisecond in.
    /// </summary>
    public TimeRange Range(string name, bool exclusive)
    {
        var (low, high) = exclusive ? ("gt", "lt") : ("gte", "lte");
        var step = TimeSpan.FromMilliseconds(exclusive ? 1 : 0);
        return new TimeRange(Time($"{name}[{low}]") + step, Time($"{name}[{high}]") - step);
    }

    public void ThrowIfInvalid()
    {
        if (_errors.Count > 0)
        {
            throw new ApiException(422, [.. _errors]);
        }
    }

    public void Bad(string name, string expected) =>
        _errors.Add(ApiError.InParameter(name, ApiErrors.BadRequestCode, "Invalid parameter",
            $"{name} must be {expected}; got '{ApiErrors.Printable(filters.GetValueOrDefault(name) ?? "")}'"));

    private DateTimeOffset? Time(string name)
    {
        if (filters.GetValueOrDefault(name) is not { } text)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return time;
        }

        Bad(name, "an ISO 8601 time such as 2026-01-31T12:00:00Z");
        return null;
    }
}
