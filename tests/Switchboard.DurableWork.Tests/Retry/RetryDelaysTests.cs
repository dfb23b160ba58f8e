using Switchboard.DurableWork;

namespace Switchboard.DurableWork.Tests.Retry;

public sealed class RetryDelaysTests
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Max = TimeSpan.FromMinutes(5);

    [Fact]
    public void Exponential_delays_stay_between_half_the_doubling_ceiling_and_the_ceiling_never_above_the_maximum()
    {
        var delays = RetryDelays.Exponential(First, Max, new Random(25));
        for (var attempt = 1; attempt <= 70; attempt++)
        {
            var ceiling = TimeSpan.FromTicks((long)Math.Min(First.Ticks * Math.Pow(2, attempt - 1), Max.Ticks));
            for (var draw = 0; draw < 200; draw++)
            {
                var delay = delays.DelayAfter(attempt);
                Assert.InRange(delay, ceiling / 2, ceiling);
                Assert.True(delay <= Max, $"attempt {attempt}: {delay} is above the maximum {Max}");
            }
        }
    }

    [Fact]
    public void Exponential_delays_grow_with_the_attempt_until_the_maximum()
    {
        var delays = RetryDelays.Exponential(First, Max, new Random(25));

        // Attempt n+2's floor (half of four times the ceiling) is twice attempt n's ceiling: growth shows through the jitter.
        Assert.True(delays.DelayAfter(3) > delays.DelayAfter(1));
        Assert.InRange(delays.DelayAfter(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10));
        Assert.InRange(delays.DelayAfter(4), TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(80));
        Assert.InRange(delays.DelayAfter(int.MaxValue), Max / 2, Max);
        Assert.InRange(delays.DelayAfter(0), First / 2, First);
    }

    [Fact]
    public void Exponential_delays_of_the_same_attempt_differ_so_work_failing_together_comes_back_spread_out()
    {
        var delays = RetryDelays.Exponential(First, Max, new Random(25));

        var sameAttempt = Enumerable.Range(0, 20).Select(_ => delays.DelayAfter(2)).ToHashSet();

        Assert.True(sameAttempt.Count > 15, $"20 retries of attempt 2 got only {sameAttempt.Count} different delays");
    }

    [Fact]
    public void Exponential_delays_need_positive_bounds()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RetryDelays.Exponential(TimeSpan.Zero, Max));
        Assert.Throws<ArgumentOutOfRangeException>(() => RetryDelays.Exponential(First, TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public void Fixed_delays_are_the_ones_given_exactly_and_the_last_repeats()
    {
        var delays = RetryDelays.Fixed([TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromHours(1)]);

        Assert.Equal(TimeSpan.FromMinutes(1), delays.DelayAfter(1));
        Assert.Equal(TimeSpan.FromMinutes(5), delays.DelayAfter(2));
        Assert.Equal(TimeSpan.FromHours(1), delays.DelayAfter(3));
        Assert.Equal(TimeSpan.FromHours(1), delays.DelayAfter(50));
        Assert.Equal(TimeSpan.FromMinutes(5), delays.DelayAfter(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => RetryDelays.Fixed([]));
    }
}
