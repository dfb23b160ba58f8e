using System.Threading.Channels;
using Switchboard.DurableWork;

namespace Switchboard.Delivery.Outbox;

/// <summary>
/// Deliveries leased to one running dispatcher, waiting for one of its workers: the ones it claimed, and the
/// ones the outbox of the same process published already leased to it and handed over in memory.
/// </summary>
internal sealed class ReadyDeliveries(string workerId, int capacity, int refillAt, DeliveryDispatcher owner)
{
    private readonly Channel<ClaimedWorkItem> _items = Channel.CreateUnbounded<ClaimedWorkItem>();
    private readonly WorkSignal _room = new();
    private readonly Lock _gate = new();
    private int _count;
    private int _roomWanted;
    private bool _closed;

    /// <summary>The lease owner the deliveries are leased to.</summary>
    public string WorkerId => workerId;

    public int Count => Volatile.Read(ref _count);

    /// <summary>True while the dispatcher runs and <paramref name="count"/> more would not make the wait too long.</summary>
    public bool HasRoomFor(int count) => !Volatile.Read(ref _closed) && Count + count <= capacity;

    /// <summary>Adds deliveries leased to this dispatcher; if it stopped meanwhile, gives them back to the store.</summary>
    public void Add(IEnumerable<ClaimedWorkItem> items)
    {
        List<ClaimedWorkItem>? refused = null;
        lock (_gate)
        {
            foreach (var item in items)
            {
                if (_closed)
                {
                    (refused ??= []).Add(item);
                    continue;
                }

                Interlocked.Increment(ref _count);
                _items.Writer.TryWrite(item);
            }
        }

        if (refused is not null)
        {
            _ = owner.ReleaseAsync(refused);
        }
    }

    /// <summary>The next delivery to attempt; null once closed and empty.</summary>
    public async ValueTask<ClaimedWorkItem?> TakeAsync()
    {
        while (await _items.Reader.WaitToReadAsync())
        {
            if (_items.Reader.TryRead(out var item))
            {
                if (Interlocked.Decrement(ref _count) <= refillAt && Interlocked.Exchange(ref _roomWanted, 0) == 1)
                {
                    _room.Notify();
                }

                return item;
            }
        }

        return null;
    }

    /// <summary>Completes once the queue has gone down to where a claim should refill it.</summary>
    public Task WaitForRoomAsync()
    {
        var room = _room.WaitAsync();
        Volatile.Write(ref _roomWanted, 1);
        return room;
    }

    /// <summary>No more deliveries are accepted; the ones queued are still taken.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            _items.Writer.TryComplete();
        }
    }
}
