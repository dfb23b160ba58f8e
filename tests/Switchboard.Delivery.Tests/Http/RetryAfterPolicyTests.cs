using CsCheck;
using Switchboard.Delivery.Http;

namespace Switchboard.Delivery.Tests.Http;

public sealed class RetryAfterPolicyTests
{
    private static readonly DateTimeOffset s_now = new(2025, 10, 24, 18, 10, 2, TimeSpan.Zero);

    [Theory]
    [InlineData(60, null, 60)]      // no Retry-After: the schedule
    [InlineData(60, 90, 90)]        // within [scheduled, 2 × scheduled]: as asked
    [InlineData(60, 10, 60)]        // sooner than scheduled: never faster
    [InlineData(60, 86400, 120)]    // far later: at most twice the schedule
    [InlineData(60, 120, 120)]
    [InlineData(0, 30, 0)]          // an immediate retry stays immediate
    public void Clamp_keeps_retry_after_between_the_scheduled_delay_and_twice_it(int scheduledSeconds, int? retryAfterSeconds, int expectedSeconds)
    {
        TimeSpan? retryAfter = retryAfterSeconds is { } s ? TimeSpan.FromSeconds(s) : null;

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), RetryAfterPolicy.Clamp(TimeSpan.FromSeconds(scheduledSeconds), retryAfter));
    }

    [Fact]
    public void Clamp_never_leaves_the_band_and_never_overflows()
    {
        Gen.Long[0, TimeSpan.MaxValue.Ticks].Select(Gen.Long[0, TimeSpan.MaxValue.Ticks]).Sample((scheduled, asked) =>
        {
            long result = RetryAfterPolicy.Clamp(TimeSpan.FromTicks(scheduled), TimeSpan.FromTicks(asked)).Ticks;
            decimal ceiling = Math.Min(2 * (decimal)scheduled, TimeSpan.MaxValue.Ticks);
            bool askedIsInBand = asked >= scheduled && asked <= ceiling;
            return result >= scheduled && result <= ceiling && (!askedIsInBand || result == asked);
        });
    }

    [Fact]
    public void Clamp_refuses_a_negative_schedule() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RetryAfterPolicy.Clamp(TimeSpan.FromSeconds(-1), null));

    [Theory]
    [InlineData("120", 120)]
    [InlineData(" 5 ", 5)]
    [InlineData("0", 0)]
    [InlineData("Fri, 24 Oct 2025 18:11:32 GMT", 90)]     // IMF-fixdate
    [InlineData("Friday, 24-Oct-25 18:11:32 GMT", 90)]    // RFC 850
    [InlineData("Fri Oct 24 18:11:32 2025", 90)]          // asctime
    [InlineData("Fri, 24 Oct 2025 18:00:00 GMT", 0)]      // in the past: now
    public void Parse_reads_delta_seconds_and_http_dates(string value, int expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), RetryAfterPolicy.Parse(value, s_now));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("1.5")]
    public void Parse_returns_null_for_anything_else(string? value) =>
        Assert.Null(RetryAfterPolicy.Parse(value, s_now));
}
