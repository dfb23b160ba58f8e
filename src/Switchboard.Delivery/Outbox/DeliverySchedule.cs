using System.Globalization;
using Switchboard.DurableWork;

namespace Switchboard.Delivery.Outbox;

/// <summary>
/// When each attempt of a delivery starts: the first delay is from publishing to attempt 1, each later one
/// from the start of the previous attempt. The number of delays is the number of attempts.
/// </summary>
public sealed class DeliverySchedule
{
    private readonly RetryDelays _retries;

    private DeliverySchedule(TimeSpan[] delays)
    {
        Delays = delays;
        // Retries wait exactly the configured delays (no jitter): the delays after attempts 1, 2, ... are the
        // schedule's second, third, ... (a one-delay schedule has no retries, and answers its only delay).
        _retries = RetryDelays.Fixed(delays.Length > 1 ? delays[1..] : delays);
    }

    /// <summary>Attempt 1 at once, then 1 min, 5 min, 15 min and 1 h after the previous attempt: 5 attempts.</summary>
    public static DeliverySchedule Default { get; } = Parse("0s,1m,5m,15m,1h");

    public IReadOnlyList<TimeSpan> Delays { get; }

    public int MaxAttempts => Delays.Count;

    /// <summary>The delay between publishing and attempt 1.</summary>
    public TimeSpan FirstDelay => Delays[0];

    /// <summary>The delay between the start of <paramref name="attempt"/> and the next one (the last delay for attempts past the schedule).</summary>
    public TimeSpan DelayAfter(int attempt) => _retries.DelayAfter(attempt);

    /// <summary>
    /// Parses a comma-separated list of delays with a unit each: <c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c> or
    /// <c>d</c>, e.g. <c>0s,1m,5m,15m,1h</c> or <c>0s,1s,2s</c>.
    /// </summary>
    public static DeliverySchedule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 0 || parts.All(p => p.Length == 0))
        {
            throw new FormatException("a delivery schedule needs at least one delay, e.g. \"0s,1m,5m,15m,1h\"");
        }

        var delays = new TimeSpan[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            delays[i] = TryParseDuration(parts[i], out var delay) ? delay : throw new FormatException(
                $"delay #{i + 1} of the delivery schedule, '{parts[i]}', is not a whole number with a unit (ms, s, m, h, d), e.g. \"30s\"");
        }

        return new DeliverySchedule(delays);
    }

    /// <summary>
    /// One duration as the schedule writes them: a whole number with a unit (<c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>,
    /// <c>d</c>), e.g. <c>500ms</c> or <c>2s</c>; a bare <c>0</c> is zero.
    /// </summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(text);
        duration = TimeSpan.Zero;
        if (text == "0")
        {
            return true;
        }

        var unitStart = text.AsSpan().IndexOfAnyExceptInRange('0', '9');
        if (unitStart <= 0 || !long.TryParse(text.AsSpan(0, unitStart), NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > 1_000_000)
        {
            return false;
        }

        TimeSpan? parsed = text[unitStart..] switch
        {
            "ms" => TimeSpan.FromMilliseconds(value),
            "s" => TimeSpan.FromSeconds(value),
            "m" => TimeSpan.FromMinutes(value),
            "h" => TimeSpan.FromHours(value),
            "d" => TimeSpan.FromDays(value),
            _ => null,
        };
        duration = parsed ?? TimeSpan.Zero;
        return parsed is not null;
    }

    public override string ToString() => string.Join(',', Delays.Select(FormatDuration));

    /// <summary>A duration as <see cref="TryParseDuration"/> reads it: the largest whole unit, e.g. <c>1h</c>, <c>90s</c>, <c>500ms</c>.</summary>
    public static string FormatDuration(TimeSpan delay) =>
        delay.Ticks % TimeSpan.TicksPerDay == 0 && delay > TimeSpan.Zero ? $"{delay.TotalDays:0}d"
        : delay.Ticks % TimeSpan.TicksPerHour == 0 && delay > TimeSpan.Zero ? $"{delay.TotalHours:0}h"
        : delay.Ticks % TimeSpan.TicksPerMinute == 0 && delay > TimeSpan.Zero ? $"{delay.TotalMinutes:0}m"
        : delay.Ticks % TimeSpan.TicksPerSecond == 0 ? $"{delay.TotalSeconds:0}s"
        : $"{delay.TotalMilliseconds:0}ms";
}
