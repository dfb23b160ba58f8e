using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Switchboard.DurableWork;

/// <summary>How long a queue keeps finished items, and how often it is pruned.</summary>
public sealed class RetentionOptions
{
    /// <summary>Finished items (and their attempt logs) older than this are deleted. Default 30 days.</summary>
    public TimeSpan KeepFinishedFor { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often pruning runs. Default one hour.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Items deleted per transaction, so pruning never holds the database for long. Default 1,000.</summary>
    public int BatchSize { get; set; } = 1_000;

    /// <summary>Throws <see cref="ArgumentException"/> if a setting is out of range.</summary>
    public void Validate()
    {
        if (KeepFinishedFor <= TimeSpan.Zero || Interval <= TimeSpan.Zero || BatchSize < 1)
        {
            throw new ArgumentException("retention needs KeepFinishedFor > 0, Interval > 0 and BatchSize >= 1");
        }
    }
}

/// <summary>
/// A background job that deletes a queue's finished items once they are older than the retention period (every
/// <see cref="RetentionOptions.Interval"/>), and gives their space back to the file system.
/// </summary>
public sealed class WorkPruner : BackgroundService
{
    private readonly IWorkStore _store;
    private readonly string _queue;
    private readonly RetentionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public WorkPruner(IWorkStore store, string queue, RetentionOptions options, TimeProvider? time = null, ILogger<WorkPruner>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        StoreSql.CheckQueue(queue);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _store = store;
        _queue = queue;
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger<WorkPruner>.Instance;
    }

    /// <summary>Pages given back per write (1 MiB of 4 KiB pages): each step is a short write, and other writes go between steps.</summary>
    internal const int ReclaimPagesPerStep = 256;

    /// <summary>Gives the space of deleted rows back to the file system, step by step, until none is left. Returns how many pages.</summary>
    public static async Task<long> ReclaimSpaceAsync(IWorkStore store, CancellationToken cancellationToken = default)
    {
        long total = 0;
        int released;
        do
        {
            released = await store.ReclaimSpaceAsync(ReclaimPagesPerStep, cancellationToken);
            total += released;
        }
        while (released == ReclaimPagesPerStep);

        return total;
    }

    /// <summary>Deletes everything that is past retention now, batch by batch. Returns how many items.</summary>
    public async Task<int> PruneOnceAsync(CancellationToken cancellationToken = default)
    {
        var cutoff = _time.GetUtcNow() - _options.KeepFinishedFor;
        var total = 0;
        int deleted;
        do
        {
            deleted = await _store.PruneAsync(_queue, cutoff, _options.BatchSize, cancellationToken);
            total += deleted;
        }
        while (deleted == _options.BatchSize);

        return total;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.Interval, _time);
        do
        {
            try
            {
                var deleted = await PruneOnceAsync(stoppingToken);
                if (deleted > 0)
                {
                    _logger.LogInformation("Pruned {Count} finished items of queue {Queue}", deleted, _queue);
                    await ReclaimSpaceAsync(_store, stoppingToken);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogWarning(ex, "Pruning queue {Queue} failed; will try again", _queue);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
