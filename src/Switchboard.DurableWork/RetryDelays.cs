namespace Switchboard.DurableWork;

/// <summary>
/// How long failed work waits before its next attempt: the one retry-delay policy of the work engine's users.
/// <see cref="Exponential"/> doubles a first delay up to a maximum, with jitter so that work failing together (a
/// handler's dependency is down) does not come back all at the same instant; <see cref="Fixed"/> waits exactly
/// the delays it is given, for a schedule a user configured and expects to be kept.
/// </summary>
public abstract class RetryDelays
{
    private protected RetryDelays()
    {
    }

    /// <summary>How long to wait after attempt <paramref name="attempt"/> (1 is the first) failed, before the next one.</summary>
    public abstract TimeSpan DelayAfter(int attempt);

    /// <summary>
    /// Exponential backoff with "equal jitter": after attempt <c>n</c> the ceiling is
    /// <c>min(<paramref name="firstDelay"/> × 2^(n−1), <paramref name="maxDelay"/>)</c>, and the delay is drawn
    /// uniformly from [ceiling / 2, ceiling]. So a delay never exceeds the maximum (a caller may count on the
    /// ceiling as the latest a retry starts) and is at least half of it (retries still back off).
    /// </summary>
    /// <param name="random">The random source; <see cref="Random.Shared"/> by default. One given here is used
    /// from every thread that asks for a delay, so give a seeded one only to single-threaded callers (tests).</param>
    public static RetryDelays Exponential(TimeSpan firstDelay, TimeSpan maxDelay, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(firstDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxDelay, TimeSpan.Zero);
        return new ExponentialWithJitter(firstDelay, maxDelay, random ?? Random.Shared);
    }

    /// <summary>
    /// Exactly the delays given, no jitter: after attempt <c>n</c>, <c>delays[n − 1]</c>; attempts past the end
    /// wait the last delay again.
    /// </summary>
    public static RetryDelays Fixed(IReadOnlyList<TimeSpan> delays)
    {
        ArgumentNullException.ThrowIfNull(delays);
        ArgumentOutOfRangeException.ThrowIfZero(delays.Count);
        return new FixedDelays([.. delays]);
    }

    private sealed class ExponentialWithJitter(TimeSpan firstDelay, TimeSpan maxDelay, Random random) : RetryDelays
    {
        public override TimeSpan DelayAfter(int attempt)
        {
            var doublings = Math.Clamp(attempt - 1, 0, 62);
            var ceilingTicks = Math.Min(firstDelay.Ticks * Math.Pow(2, doublings), maxDelay.Ticks);
            var ceiling = (long)ceilingTicks;
            var half = ceiling / 2;
            return TimeSpan.FromTicks(ceiling - half + random.NextInt64(half + 1));
        }
    }

    private sealed class FixedDelays(TimeSpan[] delays) : RetryDelays
    {
        public override TimeSpan DelayAfter(int attempt) => delays[Math.Clamp(attempt - 1, 0, delays.Length - 1)];
    }
}
