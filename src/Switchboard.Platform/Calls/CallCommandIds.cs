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

    /// <summary>True if the call saw <paramref name="commandId"/> within the window.</summary>
    public static async ValueTask<bool> SeenAsync(IWorkReader reader, string callControlId, string commandId, DateTimeOffset now) =>
        await reader.GetDocumentAsync(Kind, Id(callControlId, commandId)) is { } seen && seen.CreatedAt >= now - Window;

    public static async ValueTask RememberAsync(IWorkTransaction transaction, string callControlId, string commandId, string action, DateTimeOffset now)
    {
        var id = Id(callControlId, commandId);
        var columns = new DocumentColumns(Owner: callControlId, Name: action, FinishedAt: now);
        if (!await transaction.PutDocumentAsync(DocumentPut.Create(Kind, id, "{}", columns), now))
        {
            // Seen before the window: counts from now. (A replace keeps the creation time, so the old one goes first.)
            await transaction.DeleteDocumentAsync(Kind, id);
            await transaction.PutDocumentAsync(DocumentPut.Create(Kind, id, "{}", columns), now);
        }
    }

    /// <summary>Forgets every call's ids past the window, those of ended calls included (retention's pass); returns how many.</summary>
    public static async ValueTask<int> ForgetExpiredAsync(IWorkStore store, DateTimeOffset now, int batchSize, CancellationToken cancellationToken)
    {
        var deleted = 0;
        int batch;
        do
        {
            batch = await store.WriteAsync(transaction => Resources.PruneFinishedAsync(transaction, Kind, now - Window, batchSize), cancellationToken);
            deleted += batch;
        }
        while (batch == batchSize);
        return deleted;
    }

    private static string Id(string callControlId, string commandId) => $"{callControlId}:{commandId}";
}
