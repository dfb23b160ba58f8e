using Switchboard.Platform.Webhooks;

namespace Switchboard.Web.Dashboard;

/// <summary>
/// The last hour of webhook requests, minute by minute, for the charts: requests by outcome, latency percentiles, and
/// failures by target host. Read from the delivery log (<see cref="WebhookDeliveries.ListRecentAttemptsAsync"/>). A
/// minute that ended more than <see cref="Settle"/> ago no longer changes, so it is kept once computed, and each
/// refresh reads only the requests of the minutes since.
/// </summary>
internal sealed class DeliveryActivity(WebhookDeliveries deliveries, TimeProvider time)
{
    public const int Minutes = 60;

    /// <summary>The most requests one refresh reads; past it, the chart says its oldest minutes are partial.</summary>
    public const int MaxRequestsRead = 50_000;

    /// <summary>How long after a minute ends its requests may still be being recorded (they are written in batches).</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly Dictionary<DateTimeOffset, MinuteActivity> _settled = [];

    public async Task<ActivityWindow> ReadAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var last = Floor(now);
        var first = last.AddMinutes(-(Minutes - 1));
        var settledBefore = Floor(now - Settle);
        DateTimeOffset readFrom;
        lock (_gate)
        {
            foreach (var stale in _settled.Keys.Where(m => m < first).ToList())
            {
                _settled.Remove(stale);
            }

            readFrom = first;
            while (readFrom < settledBefore && _settled.ContainsKey(readFrom))
            {
                readFrom = readFrom.AddMinutes(1);
            }
        }

        var requests = await deliveries.ListRecentAttemptsAsync(readFrom, MaxRequestsRead, cancellationToken);
        var partial = requests.Count >= MaxRequestsRead;
        var fresh = requests
            .GroupBy(r => Floor(r.Attempt.FinishedAt))
            .ToDictionary(g => g.Key, g => MinuteActivity.From(g.Key, [.. g.Select(r => r.Attempt)]));
        var minutes = new List<MinuteActivity>(Minutes);
        lock (_gate)
        {
            for (var minute = first; minute <= last; minute = minute.AddMinutes(1))
            {
                if (minute < readFrom && _settled.TryGetValue(minute, out var kept))
                {
                    minutes.Add(kept);
                    continue;
                }

                var activity = fresh.GetValueOrDefault(minute) ?? MinuteActivity.Empty(minute);
                if (minute < settledBefore && !partial)
                {
                    _settled[minute] = activity;
                }

                minutes.Add(activity);
            }
        }

        return new ActivityWindow(minutes, partial);
    }

    private static DateTimeOffset Floor(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
}

/// <summary>The charts' hour: <see cref="DeliveryActivity.Minutes"/> minutes, oldest first.</summary>
/// <param name="Partial">More requests than one refresh reads: the oldest minutes miss some.</param>
public sealed record ActivityWindow(IReadOnlyList<MinuteActivity> Minutes, bool Partial);

/// <summary>One minute of requests: how many per outcome (<c>delivered</c> or the error kind), latency percentiles in milliseconds, failures per target host.</summary>
public sealed record MinuteActivity(
    DateTimeOffset Minute,
    IReadOnlyDictionary<string, int> ByOutcome,
    double? P50,
    double? P95,
    double? P99,
    IReadOnlyDictionary<string, int> FailuresByHost)
{
    public const string Delivered = "delivered";

    public static MinuteActivity Empty(DateTimeOffset minute) => new(minute, new Dictionary<string, int>(), null, null, null, new Dictionary<string, int>());

    public static MinuteActivity From(DateTimeOffset minute, IReadOnlyList<WebhookDeliveryAttemptRecord> requests)
    {
        var latencies = requests.Select(r => (r.FinishedAt - r.StartedAt).TotalMilliseconds).Order().ToArray();
        var failures = requests.Where(r => r.Error is not null).ToList();
        return new MinuteActivity(
            minute,
            requests.GroupBy(r => r.Error?.Code ?? Delivered).ToDictionary(g => g.Key, g => g.Count()),
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.95),
            Percentile(latencies, 0.99),
            failures.GroupBy(r => Host(r.Http.Request.Url)).ToDictionary(g => g.Key, g => g.Count()));
    }

    /// <summary>Nearest rank: the smallest value with at least <paramref name="fraction"/> of the values at or below it.</summary>
    private static double? Percentile(double[] sorted, double fraction) =>
        sorted.Length == 0 ? null : sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string Host(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Authority : "(no URL)";
}
