using Switchboard.Platform.Lifecycle;

namespace Switchboard.Platform.Tests;

/// <summary>A failed lifecycle step is retried after a growing pause with jitter, so steps that failed together spread out.</summary>
public sealed class LifecycleRetryTests
{
    [Fact]
    public void Retries_of_the_same_attempt_differ_and_stay_within_the_doubling_ceiling_and_the_minute()
    {
        var delays = Enumerable.Range(0, 20).Select(_ => LifecycleRunner.Retries.DelayAfter(3)).ToList();

        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400)));
        Assert.True(delays.Distinct().Count() > 15, $"20 retries of attempt 3 got only {delays.Distinct().Count()} different delays");
        Assert.InRange(LifecycleRunner.Retries.DelayAfter(30), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1));
    }
}
