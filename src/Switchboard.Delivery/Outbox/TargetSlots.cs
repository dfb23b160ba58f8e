namespace Switchboard.Delivery.Outbox;

/// <summary>
/// Bounds the requests a dispatcher has in flight: all of them (<see cref="DeliveryOptions.MaxConcurrency"/>) and those
/// to one target, the origin (scheme, host, port) of the URL being requested (<see cref="DeliveryOptions.PerTargetLimit"/>),
/// so a target that hangs holds only its own share. A request waits for a slot of its target first, then for one of
/// all; a delivery about to make the first request of its attempt does not wait for a stalled target (every slot taken,
/// none given back for <see cref="DeliveryOptions.TargetStallAfter"/>): it is told to give the delivery back, due again
/// after as long as the target has been stalled (at least that threshold, at most <see cref="LongestDeferral"/>).
/// </summary>
internal sealed class TargetSlots : IDisposable
{
    /// <summary>The longest a delivery is put off because its target is stalled.</summary>
    public static readonly TimeSpan LongestDeferral = TimeSpan.FromMinutes(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _all;
    private readonly int _perTarget;
    private readonly TimeSpan _stallAfter;
    private readonly TimeProvider _time;

    public TargetSlots(DeliveryOptions options, TimeProvider time)
    {
        _all = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        _perTarget = options.PerTargetLimit;
        _stallAfter = options.TargetStallAfter;
        _time = time;
    }

    /// <summary>The target <paramref name="url"/> belongs to: its origin, the same string for every path on it.</summary>
    public static string TargetOf(Uri url) => url.GetLeftPart(UriPartial.Authority);

    /// <summary>
    /// Waits for a slot to request <paramref name="url"/>. With <paramref name="mayDefer"/> (nothing of the attempt sent yet),
    /// returns a slot not entered, with <see cref="TargetSlot.DeferUntil"/>, when the target is stalled.
    /// </summary>
    public async ValueTask<TargetSlot> EnterAsync(Uri url, bool mayDefer, CancellationToken cancellationToken)
    {
        var target = TargetOf(url);
        Waiter? waiter = null;
        Lane lane;
        lock (_gate)
        {
            if (!_lanes.TryGetValue(target, out lane!))
            {
                lane = new Lane(target);
                _lanes.Add(target, lane);
            }

            var now = _time.GetUtcNow();
            if (lane.InFlight < _perTarget && lane.Waiting.Count == 0)
            {
                if (lane.InFlight++ == 0)
                {
                    lane.LastProgressAt = now;
                }
            }
            else if (mayDefer && DeferralOf(lane, now) is { } deferral)
            {
                ForgetIfIdle(lane);
                return TargetSlot.Deferred(now + deferral);
            }
            else
            {
                waiter = new Waiter();
                waiter.Node = lane.Waiting.AddLast(waiter);
            }
        }

        if (waiter is not null && await WaitForTurnAsync(lane, waiter, mayDefer, cancellationToken) is { } deferUntil)
        {
            return TargetSlot.Deferred(deferUntil);
        }

        try
        {
            await _all.WaitAsync(cancellationToken);
        }
        catch
        {
            Leave(lane);
            throw;
        }

        return new TargetSlot(this, lane);
    }

    /// <summary>Waits until a request to the lane hands its slot over; null then, or the time to defer to once the lane stalls.</summary>
    private async Task<DateTimeOffset?> WaitForTurnAsync(Lane lane, Waiter waiter, bool mayDefer, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Looks again every stall threshold: the lane may have stalled since, and a stalled lane keeps no one waiting who may go.
            using var look = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var lookAgain = Task.Delay(_stallAfter, _time, look.Token);
            var first = await Task.WhenAny(waiter.Turn.Task, lookAgain);
            await look.CancelAsync();
            if (first == waiter.Turn.Task)
            {
                return null;
            }

            lock (_gate)
            {
                if (waiter.Turn.Task.IsCompleted)
                {
                    return null;
                }

                var now = _time.GetUtcNow();
                var deferral = mayDefer ? DeferralOf(lane, now) : null;
                if (cancellationToken.IsCancellationRequested || deferral is not null)
                {
                    lane.Waiting.Remove(waiter.Node!);
                    ForgetIfIdle(lane);
                    cancellationToken.ThrowIfCancellationRequested();
                    return now + deferral;
                }
            }
        }
    }

    /// <summary>How long to put a delivery off when <paramref name="lane"/> is stalled; null while it is not.</summary>
    private TimeSpan? DeferralOf(Lane lane, DateTimeOffset now)
    {
        var stalledFor = now - lane.LastProgressAt;
        if (lane.InFlight < _perTarget || stalledFor < _stallAfter)
        {
            return null;
        }

        return stalledFor > LongestDeferral ? LongestDeferral : stalledFor;
    }

    /// <summary>A request to the lane finished: its slot goes to the first waiting, or is freed.</summary>
    private void Leave(Lane lane)
    {
        lock (_gate)
        {
            lane.LastProgressAt = _time.GetUtcNow();
            if (lane.Waiting.First is { } next)
            {
                lane.Waiting.RemoveFirst();
                next.Value.Turn.SetResult();
            }
            else
            {
                lane.InFlight--;
                ForgetIfIdle(lane);
            }
        }
    }

    public void Dispose() => _all.Dispose();

    private void ForgetIfIdle(Lane lane)
    {
        if (lane.InFlight == 0 && lane.Waiting.Count == 0)
        {
            _lanes.Remove(lane.Target);
        }
    }

    /// <summary>One target's requests: those in flight, and those waiting for one of its slots, first come first served.</summary>
    internal sealed class Lane(string target)
    {
        public string Target { get; } = target;

        public int InFlight { get; set; }

        public LinkedList<Waiter> Waiting { get; } = new();

        /// <summary>When a request to it last finished, or the first started.</summary>
        public DateTimeOffset LastProgressAt { get; set; }
    }

    internal sealed class Waiter
    {
        public TaskCompletionSource Turn { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Waiter>? Node { get; set; }
    }

    /// <summary>A slot entered (released by <see cref="Dispose"/>), or a delivery to give back until <see cref="DeferUntil"/>.</summary>
    internal readonly struct TargetSlot : IDisposable
    {
        private readonly TargetSlots? _owner;
        private readonly Lane? _lane;

        internal TargetSlot(TargetSlots owner, Lane lane)
        {
            _owner = owner;
            _lane = lane;
        }

        private TargetSlot(DateTimeOffset deferUntil) => DeferUntil = deferUntil;

        public DateTimeOffset? DeferUntil { get; }

        public static TargetSlot Deferred(DateTimeOffset until) => new(until);

        public void Dispose()
        {
            if (_owner is not null)
            {
                _owner._all.Release();
                _owner.Leave(_lane!);
            }
        }
    }
}
