using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Delivery.Http;
using Switchboard.Delivery.Outbox;
using Switchboard.DurableWork;
using Switchboard.Events;
using Switchboard.Signing;
using Switchboard.Delivery.Tests.Outbox;
using Switchboard.Testing;

namespace Switchboard.Delivery.Tests;

public sealed class WebhookDeliveryRegistrationTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("switchboard-di-").FullName;
    private readonly Ed25519PrivateKey _key = Ed25519PrivateKey.Generate();

    public void Dispose()
    {
        _key.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private static IHost Build(Action<WebhookDeliveryOptions> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddWebhookDelivery(configure);
        return builder.Build();
    }

    [Fact]
    public async Task Registering_opens_nothing_and_reads_no_file_the_host_start_opens_the_store()
    {
        var keyFile = Path.Combine(_folder, "ed25519.key");
        _key.WriteToFile(keyFile);
        using var host = Build(o =>
        {
            o.DataFolder = _folder;
            o.SigningKeyFile = keyFile;
        });

        Assert.False(File.Exists(Path.Combine(_folder, "switchboard.db")));
        var early = Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredService<WebhookOutbox>());
        Assert.Contains("opened when the host starts", early.Message, StringComparison.Ordinal);

        await host.StartAsync();
        var outbox = host.Services.GetRequiredService<WebhookOutbox>();
        var published = await outbox.PublishAsync(OutboundWebhook.From(
            SampleEvents.Create(EventTypes.MessageSent, TimeProvider.System), [new WebhookTarget(new Uri("https://example.com/hooks"))]));

        Assert.True(published.Created);
        Assert.IsType<HttpWebhookSender>(host.Services.GetRequiredService<IWebhookSender>());
        Assert.Same(outbox.Store, host.Services.GetRequiredService<IWorkStore>());
        Assert.True(File.Exists(Path.Combine(_folder, "switchboard.db")));
        await host.StopAsync();

        // The delivery log's indexes, partial on the deliveries' queue (the store's other queues do not maintain them).
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_folder, "switchboard.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var indexes = connection.CreateCommand();
        indexes.CommandText = "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'work_items' AND sql LIKE '%WHERE queue = %' ORDER BY name";
        var partial = new List<string>();
        await using (var reader = await indexes.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                partial.Add(reader.GetString(0));
            }
        }

        Assert.Equal(2, partial.Count);
        Assert.All(partial, sql => Assert.EndsWith("WHERE queue = 'webhook-deliveries'", sql, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_dispatcher_is_the_worker_of_the_outbox_queue_and_takes_what_is_published_in_memory(bool runDispatcher)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var sender = new ScriptedSender(TimeProvider.System);
        builder.Services.AddSingleton<IWebhookSender>(sender);
        HandOverCountingStore? store = null;
        builder.Services.AddWorkStore(b => b.UseSqlite(o => o.DatabasePath = Path.Combine(_folder, "work.db")).Wrap(inner => store = new HandOverCountingStore(inner)));
        builder.Services.AddWebhookDelivery(o =>
        {
            o.SigningKey = _key;
            o.DataFolder = _folder;
            o.RunDispatcher = runDispatcher;
            o.Delivery.PollInterval = TimeSpan.FromHours(1);
        });
        using var host = builder.Build();
        await host.StartAsync();
        var outbox = host.Services.GetRequiredService<WebhookOutbox>();
        var status = host.Services.GetRequiredService<WebhookDispatcherStatus>();
        var worker = host.Services.GetRequiredKeyedService<WorkQueueWorkerStatus>(outbox.Queue.Name);
        if (runDispatcher)
        {
            // The host runs the worker on a thread of its own: it takes the queue's hand-overs once it runs.
            await Eventually.TrueAsync(() => worker.IsRunning, "the dispatcher's worker to run");
        }

        await outbox.PublishAsync(OutboundWebhook.From(
            SampleEvents.Create(EventTypes.MessageSent, TimeProvider.System), [new WebhookTarget(new Uri("https://example.com/hooks"))]));
        if (runDispatcher)
        {
            await Eventually.TrueAsync(async () => await outbox.CountPendingAsync() == 0, "the delivery to be sent");
        }

        Assert.Equal(runDispatcher, worker.IsRunning);
        Assert.False(status.HasStopped);
        await host.StopAsync();

        Assert.Equal(runDispatcher ? 1 : 0, sender.Requests.Count);
        // Published through the queue the dispatcher works: stored leased to it and handed over, with no claim.
        Assert.Equal(runDispatcher ? 1 : 0, store!.HandedOver);
        Assert.Equal(runDispatcher, status.HasStopped);
        Assert.Null(status.Failure);
    }

    [Fact]
    public async Task Another_queue_name_is_refused_at_start_since_the_worker_is_registered_under_the_default()
    {
        using var host = Build(o =>
        {
            o.SigningKey = _key;
            o.DataFolder = _folder;
            o.Delivery.QueueName = "elsewhere";
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.Contains("QueueName is 'webhook-deliveries'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_store_chosen_with_AddWorkStore_before_or_after_is_the_one_used(bool before)
    {
        var other = Path.Combine(_folder, "other.db");
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        if (before)
        {
            builder.Services.AddWorkStore(b => b.UseSqlite(o => o.DatabasePath = other));
        }

        builder.Services.AddWebhookDelivery(o =>
        {
            o.SigningKey = _key;
            o.DataFolder = _folder;
        });
        if (!before)
        {
            builder.Services.AddWorkStore(b => b.UseSqlite(o => o.DatabasePath = other));
        }

        using var host = builder.Build();
        await host.StartAsync();

        Assert.Same(host.Services.GetRequiredService<IWorkStore>(), host.Services.GetRequiredService<WebhookOutbox>().Store);
        Assert.True(File.Exists(other));
        Assert.False(File.Exists(Path.Combine(_folder, "switchboard.db")));
        await host.StopAsync();
    }

    [Fact]
    public async Task Bad_options_stop_the_start_with_every_problem_listed()
    {
        using var host = Build(o =>
        {
            o.DataFolder = " ";
            o.SigningKeyFile = Path.Combine(_folder, "missing.key");
            o.Delivery.MaxConcurrency = 0;
            o.Http.Timeout = TimeSpan.Zero;
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.Contains("missing.key does not exist", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("DataFolder", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Delivery: ", StringComparison.Ordinal) && f.Contains("MaxConcurrency", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Http: ", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("MaxConcurrency", StringComparison.Ordinal));
        using var noKey = Build(o => o.DataFolder = _folder);
        Assert.Contains("signing key", (await Assert.ThrowsAsync<OptionsValidationException>(() => noKey.StartAsync())).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(129)]
    public async Task A_per_target_limit_outside_one_to_the_total_stops_the_start(int perTarget)
    {
        using var host = Build(o =>
        {
            o.DataFolder = _folder;
            o.SigningKey = _key;
            o.Delivery.MaxConcurrencyPerTarget = perTarget;
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.Contains("MaxConcurrencyPerTarget must be between 1 and MaxConcurrency (128)", StringComparison.Ordinal));
    }

    /// <summary>Counts the enqueues stored leased to a worker of this process (handed over in memory).</summary>
    private sealed class HandOverCountingStore(IWorkStore inner) : ForwardingWorkStore(inner)
    {
        private int _handedOver;

        public int HandedOver => Volatile.Read(ref _handedOver);

        public override Task<IReadOnlyList<EnqueuedItem>> EnqueueLeasedAsync(string queue, IReadOnlyList<NewWorkItem> items, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _handedOver);
            return base.EnqueueLeasedAsync(queue, items, cancellationToken);
        }
    }
}
