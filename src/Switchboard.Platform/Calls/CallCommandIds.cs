using Switchboard.DurableWork;

namespace Switchboard.Platform.Calls;

/// <summary>
/// The <c>command_id</c>s a call's commands came with, in their own table beside the call (not inside its record, which
/// every command rewrites), kept for Telnyx's idempotency window: a command whose id the call saw within the last
/// <see cref="Window"/> is answered without acting again. Each command deletes its call's ids older than the window, so a
/// call holds at most a window's worth and a command costs the same whatever the call's history.
/// </summary>
internal static class CallCommandIds
{
    /// <summary>Telnyx: "Commands with duplicate command_ids within 60 seconds will be ignored."</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    /// <summary>True if the call saw <paramref name="commandId"/> within the window; forgets the call's older ids first.</summary>
    public static async ValueTask<bool> SeenAsync(IWorkTransaction transaction, string callControlId, string commandId, DateTimeOffset now)
    {
        await transaction.ExecuteAsync(
            "DELETE FROM platform_call_commands WHERE call_control_id = @call AND created_at < @expired",
            new SqlArg("call", callControlId), new SqlArg("expired", (now - Window).ToUnixTimeMilliseconds()));
        var rows = await transaction.QueryAsync(
            "SELECT 1 FROM platform_call_commands WHERE call_control_id = @call AND command_id = @command", _ => 1,
            new SqlArg("call", callControlId), new SqlArg("command", commandId));
        return rows.Count > 0;
    }

    public static ValueTask<int> RememberAsync(IWorkTransaction transaction, string callControlId, string commandId, string action, DateTimeOffset now) =>
        transaction.ExecuteAsync(
            "INSERT INTO platform_call_commands (call_control_id, command_id, action, created_at) VALUES (@call, @command, @action, @now)",
            new SqlArg("call", callControlId), new SqlArg("command", commandId), new SqlArg("action", action), new SqlArg("now", now.ToUnixTimeMilliseconds()));

    /// <summary>Forgets every call's ids past the window, those of ended calls included (retention's pass; a live call's next command forgets its own).</summary>
    public static ValueTask<int> ForgetExpiredAsync(IWorkTransaction transaction, DateTimeOffset now) =>
        transaction.ExecuteAsync(
            "DELETE FROM platform_call_commands WHERE created_at < @expired", new SqlArg("expired", (now - Window).ToUnixTimeMilliseconds()));
}
