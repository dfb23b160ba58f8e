using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.DurableWork;
using Switchboard.Platform.Api;
using Switchboard.Platform.Lifecycle;
using Switchboard.Testing;

namespace Switchboard.Platform.Tests;

/// <summary>
/// A planned lifecycle step: read on a snapshot, planned, committed as one batch with its own completion; a resource
/// changed between the read and the commit is read and planned again, never written over.
/// </summary>
public sealed class LifecycleBatchTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("switchboard-lifecycle-batch-").FullName;
    private IWorkStore _store = null!;

    public async Task InitializeAsync() =>
        _store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = Path.Combine(_folder, "work.db") }, TimeProvider.System);

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_step_whose_resource_changed_before_its_commit_is_planned_again_and_completed_in_its_own_batch()
    {
        var now = TimeProvider.System.GetUtcNow();
        await _store.CommitAsync(new WorkBatch().PutDocument(DocumentPut.Create("counter", "c1", "0")));
        var step = new LifecycleStep("counter", "c1", "bump");
        await _store.EnqueueAsync(LifecycleSteps.Queue, [new NewWorkItem("counter:c1:bump", JsonSerializer.Serialize(step, PlatformJson.Default.LifecycleStep), now, 5)]);
        var item = Assert.Single(await _store.ClaimAsync(LifecycleSteps.Queue, 1));
        var handler = new Bump();
        var runner = new LifecycleRunner(new RacingStore(_store), [handler], TimeProvider.System, NullLogger<LifecycleRunner>.Instance);

        var completion = await runner.RunAsync(item, CancellationToken.None);

        // The first plan read 0 and lost to the racing write of 10; the second read 10. Nothing was written over.
        Assert.Equal(WorkOutcome.Recorded, completion.Outcome);
        Assert.Equal(["0", "10"], handler.Read);
        var counter = (await _store.ReadAsync(r => r.GetDocumentAsync("counter", "c1")))!;
        Assert.Equal(("11", 3L), (counter.Body, counter.Version));
        var stored = (await _store.GetAsync(LifecycleSteps.Queue, item.Key))!;
        Assert.Equal((WorkStatus.Succeeded, 1), (stored.Status, stored.Attempts));
    }

    /// <summary>Adds one to the counter, under the version it read.</summary>
    private sealed class Bump : IPlannedStepHandler
    {
        public List<string> Read { get; } = [];

        public string Resource => "counter";

        public async ValueTask PlanAsync(IWorkReader reader, LifecycleStep step, WorkBatch batch)
        {
            var counter = (await reader.GetDocumentAsync("counter", step.Id))!;
            Read.Add(counter.Body);
            batch.PutDocument(DocumentPut.Replace(counter, (int.Parse(counter.Body, System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), default));
        }
    }

    /// <summary>Another writer sets the counter to 10 just before the first batch commits.</summary>
    private sealed class RacingStore(IWorkStore inner) : ForwardingWorkStore(inner)
    {
        private int _commits;

        public override async Task<WorkBatchResult> CommitAsync(WorkBatch batch, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _commits) == 1)
            {
                var read = (await Inner.ReadAsync(r => r.GetDocumentAsync("counter", "c1"), cancellationToken))!;
                await Inner.CommitAsync(new WorkBatch().PutDocument(DocumentPut.Replace(read, "10", default)), cancellationToken);
            }

            return await Inner.CommitAsync(batch, cancellationToken);
        }
    }
}
