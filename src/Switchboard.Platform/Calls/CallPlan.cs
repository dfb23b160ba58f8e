using Switchboard.DurableWork;
using Switchboard.Platform.Storage;

namespace Switchboard.Platform.Calls;

/// <summary>
/// One change of calls, planned on a snapshot: the calls it read (each read once, so every part of the plan sees the same
/// object and its changes), the ones it created, and the batch its events and steps go into. <see cref="AddChangedCalls"/> adds
/// each changed call once, under the version read, so a call changed by anything else since makes the batch a conflict
/// and the change is planned again. <paramref name="now"/> is the plan's time: a new call's creation time.
/// </summary>
internal sealed class CallPlan(IWorkReader reader, WorkBatch batch, DateTimeOffset now)
{
    private sealed record Entry(StoredCall Call, long Version, string? DialCommand)
    {
        public bool Changed { get; set; }
    }

    private readonly Dictionary<string, Entry> _calls = new(StringComparer.Ordinal);

    public IWorkReader Reader => reader;

    public WorkBatch Batch => batch;

    public async ValueTask<StoredCall?> FindAsync(string callControlId)
    {
        if (_calls.TryGetValue(callControlId, out var known))
        {
            return known.Call;
        }

        if (await Resources.GetAsync(reader, ResourceKinds.Call, callControlId) is not { } stored)
        {
            return null;
        }

        var call = CallControl.Deserialize(stored.Body);
        _calls[callControlId] = new Entry(call, stored.Version, null);
        return call;
    }

    /// <summary>A new call; <paramref name="dialCommand"/> is its unique lookup (a dial's command_id), if any.</summary>
    public void Insert(StoredCall call, string? dialCommand) => _calls[call.CallControlId] = new Entry(call, 0, dialCommand) { Changed = true };

    /// <summary>Marks a call this plan read or created as changed: it is written as it is when the plan finishes.</summary>
    public void Save(StoredCall call) => _calls[call.CallControlId].Changed = true;

    /// <summary>Adds every call changed since the last time to the batch, under the version read.</summary>
    public void AddChangedCalls()
    {
        foreach (var (id, entry) in _calls)
        {
            if (entry.Changed)
            {
                var call = entry.Call;
                var columns = new ResourceColumns(Lookup: entry.DialCommand, Owner: call.CallSessionId, ConnectionId: call.ConnectionId, FinishedAt: call.IsAlive ? null : call.EndedAt);
                batch.PutDocument(new DocumentPut(ResourceKinds.Call, id, CallControl.Serialize(call), columns.ToDocument(), entry.Version) { At = now });
                entry.Changed = false;
            }
        }
    }
}
