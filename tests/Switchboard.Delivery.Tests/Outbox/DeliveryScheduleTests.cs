using Switchboard.Delivery.Outbox;

namespace Switchboard.Delivery.Tests.Outbox;

/// <summary>Delivery retries wait exactly the configured schedule: no jitter, unlike handler and lifecycle retries.</summary>
public sealed class DeliveryScheduleTests
{
    [Fact]
    public void Each_retry_waits_exactly_the_configured_delay_and_the_last_repeats()
    {
        var schedule = DeliverySchedule.Parse("0s,1m,5m,15m,1h");

        Assert.Equal(TimeSpan.Zero, schedule.FirstDelay);
        for (var round = 0; round < 3; round++)
        {
            Assert.Equal(
                [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromHours(1), TimeSpan.FromHours(1)],
                Enumerable.Range(1, 5).Select(schedule.DelayAfter));
        }

        Assert.Equal(TimeSpan.FromMinutes(1), schedule.DelayAfter(0));
    }

    [Fact]
    public void A_one_delay_schedule_answers_its_only_delay()
    {
        var schedule = DeliverySchedule.Parse("30s");

        Assert.Equal(1, schedule.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(30), schedule.DelayAfter(1));
    }
}
