using Switchboard.Events;

namespace Switchboard.Platform.Calls;

/// <summary>
/// A call leg as stored: its ids, its state (<c>parked</c> or <c>bridging</c> while it rings, <c>answered</c>,
/// <c>hangup</c>), where its webhooks go, and what runs on it (a recording, a speak, a playback).
/// </summary>
public sealed class StoredCall
{
    public const string Incoming = "incoming";
    public const string Outgoing = "outgoing";

    public required string CallControlId { get; set; }
    public required string CallLegId { get; set; }
    public required string CallSessionId { get; set; }
    public required string ConnectionId { get; set; }
    public required string From { get; set; }
    public required string To { get; set; }

    /// <summary><c>incoming</c> or <c>outgoing</c>.</summary>
    public required string Direction { get; set; }
    public required string State { get; set; }

    /// <summary>Base64, as the application gave it (by the dial or by its last command); echoed on every webhook after.</summary>
    public string? ClientState { get; set; }

    /// <summary>The dial's own webhook URLs; null: the application's.</summary>
    public string? WebhookUrl { get; set; }
    public string? WebhookFailoverUrl { get; set; }
    public string? CallerIdName { get; set; }
    public IList<CallCustomHeader> CustomHeaders { get; set; } = [];
    public DateTimeOffset StartTime { get; set; }
    public DateTimeOffset? AnsweredAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public string? HangupCause { get; set; }
    public string? HangupSource { get; set; }
    public string? SipHangupCause { get; set; }
    public int TimeoutSecs { get; set; } = 30;
    public int TimeLimitSecs { get; set; } = 14_400;

    /// <summary>What the call heard last (the newest <see cref="CallPrompt.Kept"/>, cut short): the dashboard's Calls page shows it.</summary>
    public IList<CallPrompt> Prompts { get; set; } = [];

    /// <summary>The dial's <c>record: "record-from-answer"</c>: start a recording in this format and channels when answered.</summary>
    public string? RecordFromAnswerFormat { get; set; }
    public string? RecordFromAnswerChannels { get; set; }

    public ActiveRecording? Recording { get; set; }
    public ActiveMedia? Media { get; set; }
    public ActiveGather? Gather { get; set; }

    /// <summary>
    /// The other leg: the new leg of this call's transfer (ringing, then bridged), the call a transfer leg was dialled
    /// for, or the call a bridge joined. A bridged leg hanging up hangs this one up; the original call hanging up cancels
    /// its ringing transfer leg.
    /// </summary>
    public string? LinkedCallControlId { get; set; }

    /// <summary>Joined with <see cref="LinkedCallControlId"/> (<c>call.bridged</c> sent on both).</summary>
    public bool Bridged { get; set; }

    /// <summary>The dial's or transfer's <c>answering_machine_detection</c> (<c>detect</c>, <c>detect_beep</c>, <c>detect_words</c>, <c>greeting_end</c>); null: none.</summary>
    public string? MachineDetection { get; set; }

    /// <summary>A counter for the keys of steps that can happen more than once (each speak's end).</summary>
    public int Sequence { get; set; }

    public bool IsAlive => State != CallStates.Hangup;

    public bool IsAnswered => State == CallStates.Answered;
}

public static class CallStates
{
    public const string Parked = "parked";
    public const string Bridging = "bridging";
    public const string Answered = "answered";
    public const string Hangup = "hangup";
}

/// <summary>A recording in progress: its time so far (pauses excluded) and how it will be saved.</summary>
public sealed class ActiveRecording
{
    public required string Id { get; set; }
    public required string Format { get; set; }
    public required string Channels { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? PausedAt { get; set; }
    public long PausedMs { get; set; }

    public long DurationMs(DateTimeOffset end) =>
        Math.Max(0, (long)((PausedAt ?? end) - StartedAt).TotalMilliseconds - PausedMs);
}

/// <summary>A speak or a playback in progress; <see cref="Key"/> names the step that ends it.</summary>
public sealed class ActiveMedia
{
    /// <summary><c>speak</c> or <c>playback</c>.</summary>
    public required string Kind { get; set; }
    public required string Key { get; set; }
    public string? MediaUrl { get; set; }
    public string? MediaName { get; set; }
    public bool? Overlay { get; set; }
}

/// <summary>
/// A gather in progress (<c>gather</c>, <c>gather_using_speak</c>, <c>gather_using_audio</c>): its rules, the digits so
/// far, and where it is. Its timeouts are lifecycle steps named after <see cref="Number"/> and <see cref="Epoch"/>; each
/// key press or prompt bumps the epoch, so a wait scheduled before it finds itself stale and does nothing.
/// </summary>
public sealed class ActiveGather
{
    /// <summary><c>gather</c>, <c>speak</c> or <c>audio</c>: which command started it (the prompt it plays).</summary>
    public required string Kind { get; set; }

    /// <summary>Tells this gather from the call's others (its <c>call.gather.ended</c> and its steps).</summary>
    public int Number { get; set; }
    public int MinimumDigits { get; set; } = 1;
    public int MaximumDigits { get; set; } = 128;
    public string? TerminatingDigit { get; set; } = "#";
    public string ValidDigits { get; set; } = "0123456789#*";
    public int TimeoutMillis { get; set; } = 60_000;
    public int InterDigitTimeoutMillis { get; set; } = 5_000;
    public int InitialTimeoutMillis { get; set; } = 5_000;
    public int MaximumTries { get; set; } = 3;
    public int Tries { get; set; } = 1;
    public string Digits { get; set; } = "";
    public int Epoch { get; set; }

    /// <summary>The prompt plays (speak or audio); a key press interrupts it.</summary>
    public bool Prompting { get; set; }

    /// <summary>The last entry was invalid: the next prompt begins with the invalid prompt.</summary>
    public bool LastInvalid { get; set; }
    public string? AudioUrl { get; set; }
    public string? MediaName { get; set; }
    public string? InvalidAudioUrl { get; set; }
    public string? InvalidMediaName { get; set; }
}

/// <summary>A saved recording, kept to serve its audio: <c>GET /_switchboard/recordings/{id}.wav</c> (a pre-signed link).</summary>
public sealed class RecordingResource
{
    public required string Id { get; set; }
    public required string CallControlId { get; set; }
    public required string CallLegId { get; set; }
    public required string CallSessionId { get; set; }
    public required string ConnectionId { get; set; }
    public string? From { get; set; }
    public string? To { get; set; }
    public required string Format { get; set; }
    public required string Channels { get; set; }
    public DateTimeOffset RecordingStartedAt { get; set; }
    public DateTimeOffset RecordingEndedAt { get; set; }
    public long DurationMs { get; set; }
}

/// <summary>The answer of <c>POST /calls</c> and <c>GET /calls/{call_control_id}</c>.</summary>
public sealed record CallStatus
{
    public required string CallControlId { get; init; }
    public required string CallLegId { get; init; }
    public required string CallSessionId { get; init; }
    public required bool IsAlive { get; init; }
    public string RecordType => "call";

    /// <summary>Left out when the call has none (Telnyx types it as a plain string, never null).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? ClientState { get; init; }
    public DateTimeOffset? StartTime { get; init; }

    /// <summary>Only once the call has ended, as Telnyx: "only present when the call is not alive".</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? EndTime { get; init; }

    /// <summary>Seconds since the call started (to its end, once it ended).</summary>
    public long? CallDuration { get; init; }

    /// <summary>The answer of a dial: <c>is_alive</c> is always false there (the spec: dialing is asynchronous).</summary>
    public static CallStatus OfDial(StoredCall call, DateTimeOffset now) => Of(call, now) with { IsAlive = false };

    public static CallStatus Of(StoredCall call, DateTimeOffset now) => new()
    {
        CallControlId = call.CallControlId,
        CallLegId = call.CallLegId,
        CallSessionId = call.CallSessionId,
        IsAlive = call.IsAlive,
        ClientState = call.ClientState,
        StartTime = call.StartTime,
        EndTime = call.EndedAt,
        CallDuration = (long)((call.EndedAt ?? now) - call.StartTime).TotalSeconds,
    };
}

/// <summary>The answer of a call command: <c>{"data": {"result": "ok"}}</c>.</summary>
public sealed record CommandResult(string Result);
