using Microsoft.Extensions.Options;
using Switchboard.DurableWork;
using Switchboard.Receiver.Storage;

namespace Switchboard.Receiver.Inbox;

/// <summary>
/// The log of requests kept when <see cref="TelnyxWebhookOptions.RecordAllRequests"/> is on (the <c>requests</c>
/// queue), bounded by <see cref="TelnyxWebhookOptions.RequestLogMaxCount"/> records and
/// <see cref="TelnyxWebhookOptions.RequestLogMaxBytes"/>: once a new record passes either bound, the oldest records
/// are deleted until both hold again (the newest record always stays). A record's size is the text stored for it,
/// its body and the rest of the record (headers, verification, reason). The sizes are tracked in memory, read from
/// the store once at the first write after start; with several instances on one PostgreSQL database each keeps its
/// own count, so the log holds at most that many records per instance.
/// </summary>
internal sealed class RequestLog(ReceiverStorage storage, IOptions<TelnyxWebhookOptions> options)
{
    private const string Owner = "request-log";
    private const int LoadPageSize = 50;

    private readonly TelnyxWebhookOptions _options = options.Value;
    private readonly Lock _gate = new();
    // Oldest first, in the order the store's prune deletes them (by finish time).
    private readonly Queue<long> _sizes = new();
    private readonly SemaphoreSlim _loading = new(1, 1);
    private long _bytes;
    private volatile bool _loaded;
    // A chunk of the oldest records is being deleted (see ExcessWith); cleared by its commit, or by any failed write.
    private bool _chunkInFlight;

    /// <summary>Writes a record in a commit of its own, then trims the log. Throws if the store cannot write.</summary>
    public async Task AppendAsync(string body, string context, string outcome, DateTimeOffset receivedAt)
    {
        var store = await storage.GetStoreAsync(CancellationToken.None);
        await LoadAsync(store);
        var batch = new WorkBatch();
        var appended = Append(batch, body, context, outcome, receivedAt);
        try
        {
            await store.CommitAsync(batch);
        }
        catch
        {
            WriteFailed();
            throw;
        }

        await CommittedAsync(store, appended);
    }

    /// <summary>A batch that held <see cref="Append"/> failed: its chunk, if any, is not in flight.</summary>
    public void WriteFailed()
    {
        lock (_gate)
        {
            _chunkInFlight = false;
        }
    }

    /// <summary>
    /// Adds a record as a finished item (no worker ever takes it) to <paramref name="batch"/>, with the deletion of the
    /// oldest records it pushes past the bounds; pass the result to <see cref="CommittedAsync"/> once the batch committed.
    /// With <paramref name="onlyIfPreviousAdded"/>, the record is written only if the batch's enqueue just before added
    /// its item (see <see cref="WorkBatch.AddFinished"/>). The log must be loaded (<see cref="LoadAsync"/>).
    /// </summary>
    public AppendedRecord Append(WorkBatch batch, string body, string context, string outcome, DateTimeOffset receivedAt, bool onlyIfPreviousAdded = false)
    {
        // Time-ordered keys: the key index takes them at its end, not a page here and there.
        var item = new NewWorkItem(Guid.CreateVersion7(receivedAt).ToString("N"), body, receivedAt, 1, outcome, context);
        var size = SizeOf(body, context);
        var (excess, chunk) = ExcessWith(size);
        var appended = new AppendedRecord(size, excess, chunk);
        batch.AddFinished(ReceiverQueues.Requests, [item], added => appended.Added = added[0], onlyIfPreviousAdded);
        if (excess > 0)
        {
            batch.Prune(ReceiverQueues.Requests, DateTimeOffset.MaxValue, excess);
        }

        return appended;
    }

    /// <summary>
    /// Counts a record written (if it was) and the oldest records deleted with it (<see cref="Append"/>),
    /// then trims what is still past the bounds: records written at the same time each saw the log without the others.
    /// Throws if the store cannot write.
    /// </summary>
    public Task CommittedAsync(IWorkStore store, AppendedRecord appended)
    {
        lock (_gate)
        {
            if (appended.Added)
            {
                _sizes.Enqueue(appended.Size);
                _bytes += appended.Size;
            }

            for (var i = 0; i < appended.Pruned && _sizes.Count > 1; i++)
            {
                _bytes -= _sizes.Dequeue();
            }

            _chunkInFlight &= !appended.Chunk;
        }

        return TrimAsync(store);
    }

    /// <summary>How many of the oldest records to delete so that the log with one more record of <paramref name="size"/> holds both bounds (the newest record always stays).</summary>
    private (int Excess, bool Chunk) ExcessWith(long size)
    {
        lock (_gate)
        {
            var count = _sizes.Count + 1;
            var bytes = _bytes + size;
            var excess = 0;
            foreach (var oldest in _sizes)
            {
                if (count <= _options.RequestLogMaxCount && bytes <= _options.RequestLogMaxBytes)
                {
                    break;
                }

                bytes -= oldest;
                count--;
                excess++;
            }

            // Past the count, the oldest go a 64th of it at a time rather than one per new record: one delete
            // statement for many records, and the log still holds no more than the bound. One such chunk at a time:
            // records written side by side each see the log without the others.
            var chunk = Math.Min(_sizes.Count, _options.RequestLogMaxCount / 64);
            if (_sizes.Count + 1 > _options.RequestLogMaxCount && chunk > excess && !_chunkInFlight)
            {
                _chunkInFlight = true;
                return (chunk, true);
            }

            return (excess, false);
        }
    }

    /// <summary>
    /// Stops counting the <paramref name="count"/> oldest records: retention deleted them by age, oldest first as the
    /// trim does (without this, the next records would be trimmed to make room for records already gone).
    /// </summary>
    public void Forget(int count)
    {
        lock (_gate)
        {
            for (var i = 0; i < count && _sizes.Count > 0; i++)
            {
                _bytes -= _sizes.Dequeue();
            }
        }
    }

    /// <summary>How many records the log holds, as this instance counts them.</summary>
    internal int Count
    {
        get
        {
            lock (_gate)
            {
                return _sizes.Count;
            }
        }
    }

    private static long SizeOf(string body, string? context) => body.Length + (context?.Length ?? 0);

    /// <summary>Deletes the oldest records while the log is past either bound (the newest record always stays).</summary>
    private async Task TrimAsync(IWorkStore store)
    {
        var excess = 0;
        lock (_gate)
        {
            while (_sizes.Count > 1 && (_sizes.Count > _options.RequestLogMaxCount || _bytes > _options.RequestLogMaxBytes))
            {
                _bytes -= _sizes.Dequeue();
                excess++;
            }
        }

        if (excess > 0)
        {
            await store.PruneAsync(ReceiverQueues.Requests, DateTimeOffset.MaxValue, excess, CancellationToken.None);
        }
    }

    /// <summary>Once per process: the sizes of the records a previous run left, newest first until the bounds are reached; the rest are deleted.</summary>
    public async Task LoadAsync(IWorkStore store)
    {
        if (_loaded)
        {
            return;
        }

        await _loading.WaitAsync();
        try
        {
            if (_loaded)
            {
                return;
            }

            var newestFirst = new List<long>();
            long bytes = 0, total = 0;
            for (var page = 1; newestFirst.Count < _options.RequestLogMaxCount && bytes <= _options.RequestLogMaxBytes; page++)
            {
                var result = await store.QueryAsync(ReceiverQueues.Requests, new WorkQuery { PageNumber = page, PageSize = LoadPageSize }, CancellationToken.None);
                total = result.TotalCount;
                foreach (var item in result.Items)
                {
                    newestFirst.Add(SizeOf(item.Payload, item.Context));
                    bytes += newestFirst[^1];
                }

                if (result.Items.Count < LoadPageSize)
                {
                    break;
                }
            }

            var beyond = (int)Math.Min(int.MaxValue, total - newestFirst.Count);
            if (beyond > 0)
            {
                await store.PruneAsync(ReceiverQueues.Requests, DateTimeOffset.MaxValue, beyond, CancellationToken.None);
            }

            lock (_gate)
            {
                for (var i = newestFirst.Count - 1; i >= 0; i--)
                {
                    _sizes.Enqueue(newestFirst[i]);
                    _bytes += newestFirst[i];
                }
            }

            await TrimAsync(store);
            _loaded = true;
        }
        finally
        {
            _loading.Release();
        }
    }
}

/// <summary>
/// A request record in a batch: its size, how many of the oldest records are deleted with it (a chunk or not), and, once
/// the batch committed, whether it was written.
/// </summary>
internal sealed class AppendedRecord(long size, int pruned, bool chunk)
{
    public long Size => size;

    public int Pruned => pruned;

    public bool Chunk => chunk;

    public bool Added { get; set; }
}
