using System.Collections.Concurrent;

namespace Switchboard.DurableWork.Sqlite;

/// <summary>
/// Items handed to one consumer thread that sleeps while there are none. Producers take no lock and wake the
/// consumer only when it is asleep (or about to be).
/// </summary>
internal sealed class ThreadHandoff<T>
{
    private readonly ConcurrentQueue<T> _items = new();
    private readonly SemaphoreSlim _wake = new(0);
    private int _sleeping;
    private volatile bool _closed;

    public bool IsClosed => _closed;

    public void Add(T item)
    {
        _items.Enqueue(item);
        if (Interlocked.Exchange(ref _sleeping, 0) == 1)
        {
            _wake.Release();
        }
    }

    /// <summary>
    /// Moves up to <paramref name="max"/> items into <paramref name="batch"/>, sleeping while there are none. False once
    /// closed and empty.
    /// </summary>
    public bool Take(List<T> batch, int max)
    {
        while (true)
        {
            while (batch.Count < max && _items.TryDequeue(out var item))
            {
                batch.Add(item);
            }

            if (batch.Count > 0)
            {
                return true;
            }

            if (_closed)
            {
                return false;
            }

            // Say we are about to sleep, then look once more: an item added before the flag was seen is found here;
            // one added after it releases the semaphore. (A spare release only wakes the loop once more.)
            Interlocked.Exchange(ref _sleeping, 1);
            if (_items.IsEmpty && !_closed)
            {
                _wake.Wait();
            }
        }
    }

    /// <summary>An item left after closing (added in a race with <see cref="Close"/>).</summary>
    public bool TryTakeLate(out T item) => _items.TryDequeue(out item!);

    /// <summary>No more items are expected; the consumer finishes what is queued, then <see cref="Take"/> returns false.</summary>
    public void Close()
    {
        _closed = true;
        _wake.Release();
    }
}
