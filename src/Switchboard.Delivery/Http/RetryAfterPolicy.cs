using System.Net.Http.Headers;

namespace Switchboard.Delivery.Http;

/// <summary>How a <c>Retry-After</c> answer moves the next attempt.</summary>
internal static class RetryAfterPolicy
{
    /// <summary>
    /// The delay before the next attempt: the <c>Retry-After</c> the target asked for, but never less than the
    /// scheduled delay and never more than twice it, so a target can slow its retries down a little, not stop
    /// them or speed them up. Without a <c>Retry-After</c>, the scheduled delay.
    /// </summary>
    public static TimeSpan Clamp(TimeSpan scheduled, TimeSpan? retryAfter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(scheduled, TimeSpan.Zero);
        if (retryAfter is not { } asked)
        {
            return scheduled;
        }
        TimeSpan ceiling = scheduled > TimeSpan.MaxValue / 2 ? TimeSpan.MaxValue : scheduled + scheduled;
        return asked < scheduled ? scheduled : asked > ceiling ? ceiling : asked;
    }

    /// <summary>
    /// Reads a <c>Retry-After</c> value: delta-seconds, or an HTTP-date taken relative to <paramref name="now"/>
    /// (a date in the past means zero). Null when the value is neither.
    /// </summary>
    internal static TimeSpan? Parse(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value) || !RetryConditionHeaderValue.TryParse(value, out RetryConditionHeaderValue? parsed))
        {
            return null;
        }
        if (parsed.Delta is { } delta)
        {
            return delta;
        }
        if (parsed.Date is { } date)
        {
            TimeSpan untilThen = date - now;
            return untilThen > TimeSpan.Zero ? untilThen : TimeSpan.Zero;
        }
        return null;
    }
}
