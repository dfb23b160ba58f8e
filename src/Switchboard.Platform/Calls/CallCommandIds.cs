using Switchboard.DurableWork;
using Switchboard.Platform.Storage;

namespace Switchboard.Platform.Calls;

/// <summary>
/// The <c>command_id</c>s a call's commands came with, each a document of its own beside the call (not inside its record,
/// which every command rewrites), kept for Telnyx's idempotency window: a command whose id the call saw within the last
/// <see cref="Window"/> is answered without acting again. Each is finished when stored, so retention's pass deletes those
/// past the window (<see cref="ForgetExpiredAsync"/>); one seen again after the window counts afresh.
/// </summary>
internal static class CallCommandIds
{
    /// <summary>Telnyx: "Commands with duplicate command_ids within 60 seconds will be ignored."</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    private const string Kind = "call_command";

    /// <summary>The record of the call's <paramref name="commandId"/>, if the call saw it (within the window or before).</summary>
    public static ValueTask<StoredDocument?> ReadAsync(IWorkReader reader, string callControlId, string commandId) =>
        reader.GetDocumentAsync(Kind, Id(callControlId, commandId));

    /// <summary>True if <paramref name="seen"/> is within the window: the command is done already.</summary>
    public static bool WithinWindow(StoredDocument? seen, DateTimeOffset now) => seen is not null && seen.CreatedAt >= now - Window;

    /// <summary>
    /// Remembers the command id in <paramref name="batch"/>; <paramref name="seen"/> is its record read before the window
    /// (or null): replaced, so the id counts from now. A command with the same id that committed meanwhile makes the
    /// batch a conflict, and planned again the command finds it seen.
    /// </summary>
    public static void Remember(WorkBatch batch, StoredDocument? seen, string callControlId, string commandId, string action, DateTimeOffset now)
    {
        if (seen is not null)
        {
            // A replace keeps the creation time, so the old record goes first.
            batch.DeleteDocument(Kind, seen.Id, seen.Version);
        }

        batch.PutDocument(DocumentPut.Create(Kind, Id(callControlId, commandId), "{}", new DocumentColumns(Owner: callControlId, Name: action, FinishedAt: now)) with { At = now });
    }

    /// <summary>Forgets every call's ids past the window, those of ended calls included (retention's pass); returns how many.</summary>
    public static async ValueTask<int> ForgetExpiredAsync(IWorkStore store, DateTimeOffset now, int batchSize, CancellationToken cancellationToken)
    {
        var deleted = 0;
        int batch;
        do
        {
            batch = await Resources.PruneFinishedAsync(store, Kind, now - Window, batchSize, cancellationToken);
            deleted += batch;
        }
        while (batch == batchSize);
        return deleted;
    }

    private static string Id(string callControlId, string commandId) => $"{callControlId}:{commandId}";
}
