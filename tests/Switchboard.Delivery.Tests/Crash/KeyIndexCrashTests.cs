using System.Diagnostics;
using System.Globalization;
using Switchboard.DurableWork;
using Switchboard.DurableWork.Sqlite;
using Switchboard.Testing;

namespace Switchboard.Delivery.Tests.Crash;

/// <summary>
/// The SQLite store's key index under SIGKILL: a real process enqueues keys from eight writers at once, with a pass into
/// <c>work_keys</c> every 64 keys, and is killed in mid-stream several times. Afterwards the keys held in memory and the
/// tables agree exactly, whether the store loads the unmerged keys or merges them when it opens, and every key that was
/// acknowledged is still taken.
/// </summary>
public sealed class KeyIndexCrashTests() : CrashFolderTest("switchboard-keys-crash-")
{
    private const int Kills = 3;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Killed_mid_pass_the_keys_in_memory_and_the_tables_still_agree_and_no_acknowledged_key_is_lost()
    {
        var database = Path.Combine(Folder, "work.db");
        var acked = new List<string>();
        for (var kill = 0; kill < Kills; kill++)
        {
            var host = Start(new ProcessStartInfo("dotnet", [DispatcherHost.Assembly, "keys", database, (kill * 10_000_000L).ToString(CultureInfo.InvariantCulture)]));
            // Enough keys for several passes into work_keys, then kill it wherever it is.
            await Eventually.TrueAsync(() => host.Lines.Count(l => l.Text.StartsWith("acked ", StringComparison.Ordinal)) >= 2000 || host.HasExited, $"run {kill} to enqueue", Patience);
            Assert.False(host.HasExited, host.ToString());
            host.Kill9();
            acked.AddRange(host.Lines.Where(l => l.Text.StartsWith("acked ", StringComparison.Ordinal)).Select(l => l.Text["acked ".Length..]));
        }

        // Loaded as they are (no merge at open), then merged at open: both agree with the tables.
        foreach (var generation in new[] { 10_000_000, 64 })
        {
            await using var store = await WorkStore.OpenSqliteAsync(new SqliteWorkStoreOptions { DatabasePath = database, MinKeyGeneration = generation });
            Assert.Empty(await ((SqliteWorkStore)store).KeyIndexDisagreementsAsync());
            foreach (var batch in acked.Chunk(500))
            {
                Assert.All(await store.EnqueueAsync("q", [.. batch.Select(k => new NewWorkItem(k, "{}", DateTimeOffset.UnixEpoch, 1))]), Assert.False);
            }

            Assert.Empty(await ((SqliteWorkStore)store).KeyIndexDisagreementsAsync());
        }

        Assert.True(acked.Count >= Kills * 2000);
    }
}
