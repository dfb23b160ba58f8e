namespace Switchboard.DurableWork.Pump;

/// <summary>
/// The items leased to a running <see cref="WorkQueueWorker"/> that wait for one of its workers: the ones it claimed and the ones
/// handed over in memory. One lock guards all of its state, and these hold whenever the lock is free
/// (<see cref="CheckInvariants"/>):
/// <list type="bullet">
/// <item>at most <see cref="Capacity"/> items wait; what would go past it is given back to the store (due at once);</item>
/// <item>a worker waits (<see cref="TakeAsync"/>) only while no item does: an item added goes to a waiting worker first;</item>
/// <item>once closed, nothing more waits: items added are given back, and waiting workers get null once it is empty;</item>
/// <item>every item added is taken exactly once or given back exactly once (<see cref="ReleasesAsync"/> awaits the giving back).</item>
/// </list>
/// </summary>
internal sealed class ReadyQueue
{
    private readonly Lock _gate = new();
    private readonly Queue<ClaimedWorkItem> _items = new();
    private readonly Queue<TaskCompletionSource<ClaimedWorkItem?>> _workers = new();
    private readonly Func<IReadOnlyList<ClaimedWorkItem>, Task> _release;
    private readonly List<Task> _releases = [];
    private TaskCompletionSource? _roomWanted;
    private bool _closed;

    /// <param name="capacity">The most items that wait.</param>
    /// <param name="refillAt">At or below this many waiting items, <see cref="WaitForRoomAsync"/> completes: time to claim more.</param>
    /// <param name="release">Gives items back to the store; called outside the lock, awaited by <see cref="ReleasesAsync"/>.</param>
    public ReadyQueue(int capacity, int refillAt, Func<IReadOnlyList<ClaimedWorkItem>, Task> release)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(refillAt);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(refillAt, capacity);
        Capacity = capacity;
        RefillAt = refillAt;
        _release = release;
    }

    public int Capacity { get; }

    public int RefillAt { get; }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _items.Count;
            }
        }
    }

    /// <summary>True while open and <paramref name="count"/> more items would fit.</summary>
    public bool HasRoomFor(int count)
    {
        lock (_gate)
        {
            return !_closed && _items.Count + count <= Capacity;
        }
    }

    /// <summary>
    /// Adds items leased to the worker: to waiting workers first, then to the queue up to its capacity; the rest is given back.
    /// Returns the giving back (completed when nothing was refused).
    /// </summary>
    public Task Add(IReadOnlyList<ClaimedWorkItem> items)
    {
        if (items.Count == 0)
        {
            return Task.CompletedTask;
        }

        List<(TaskCompletionSource<ClaimedWorkItem?> Worker, ClaimedWorkItem Item)>? handed = null;
        List<ClaimedWorkItem>? refused = null;
        var released = Task.CompletedTask;
        lock (_gate)
        {
            foreach (var item in items)
            {
                if (!_closed && _workers.TryDequeue(out var worker))
                {
                    (handed ??= []).Add((worker, item));
                }
                else if (!_closed && _items.Count < Capacity)
                {
                    _items.Enqueue(item);
                }
                else
                {
                    (refused ??= []).Add(item);
                }
            }

            if (refused is not null)
            {
                released = ReleaseOutsideLockAsync(refused);
                _releases.Add(released);
            }
        }

        foreach (var (worker, item) in handed ?? [])
        {
            worker.SetResult(item);
        }

        return released;
    }

    /// <summary>The next item; null once closed and empty.</summary>
    public ValueTask<ClaimedWorkItem?> TakeAsync()
    {
        TaskCompletionSource? room = null;
        ValueTask<ClaimedWorkItem?> next;
        lock (_gate)
        {
            if (_items.TryDequeue(out var item))
            {
                if (_items.Count <= RefillAt)
                {
                    room = _roomWanted;
                    _roomWanted = null;
                }

                next = new(item);
            }
            else if (_closed)
            {
                next = new((ClaimedWorkItem?)null);
            }
            else
            {
                var worker = new TaskCompletionSource<ClaimedWorkItem?>(TaskCreationOptions.RunContinuationsAsynchronously);
                _workers.Enqueue(worker);
                next = new(worker.Task);
            }
        }

        room?.SetResult();
        return next;
    }

    /// <summary>Completes once at most <see cref="RefillAt"/> items wait (at once if so now), or the queue is closed.</summary>
    public Task WaitForRoomAsync()
    {
        lock (_gate)
        {
            if (_closed || _items.Count <= RefillAt)
            {
                return Task.CompletedTask;
            }

            _roomWanted ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _roomWanted.Task;
        }
    }

    /// <summary>Takes no more items; the waiting ones are still taken, and waiting workers get null once none is left.</summary>
    public void Close()
    {
        TaskCompletionSource<ClaimedWorkItem?>[] idle;
        TaskCompletionSource? room;
        lock (_gate)
        {
            _closed = true;
            // A worker waits only while no item does, so every waiting worker is told to stop.
            idle = [.. _workers];
            _workers.Clear();
            room = _roomWanted;
            _roomWanted = null;
        }

        foreach (var worker in idle)
        {
            worker.SetResult(null);
        }

        room?.SetResult();
    }

    /// <summary>Completes when every item given back so far has been written back to the store (or its failure logged).</summary>
    public Task ReleasesAsync()
    {
        lock (_gate)
        {
            return Task.WhenAll([.. _releases]);
        }
    }

    /// <summary>Throws if an invariant of the class comment does not hold (for tests; takes the lock).</summary>
    public void CheckInvariants()
    {
        lock (_gate)
        {
            if (_items.Count > Capacity)
            {
                throw new InvalidOperationException($"{_items.Count} items wait, over the capacity of {Capacity}");
            }

            if (_workers.Count > 0 && _items.Count > 0)
            {
                throw new InvalidOperationException($"{_workers.Count} workers wait while {_items.Count} items do");
            }

            if (_closed && _workers.Count > 0)
            {
                throw new InvalidOperationException($"{_workers.Count} workers wait on a closed queue");
            }

            if (_roomWanted is not null && (_closed || _items.Count <= RefillAt))
            {
                throw new InvalidOperationException("a wait for room is pending though there is room");
            }
        }
    }

    private async Task ReleaseOutsideLockAsync(IReadOnlyList<ClaimedWorkItem> items)
    {
        await Task.Yield();
        await _release(items);
    }
}
