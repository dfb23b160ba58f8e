namespace Switchboard.Events;

/// <summary>Fields every Call Control payload shares.</summary>
public class CallPayload : ExtensibleObject
{
    public string? CallControlId { get; set; }
    public string? CallLegId { get; set; }
    public string? CallSessionId { get; set; }
    public string? ConnectionId { get; set; }
    /// <summary>Base64 of whatever the application passed with its command.</summary>
    public string? ClientState { get; set; }
    public string? From { get; set; }
    public string? To { get; set; }
}

public sealed class CallInitiatedPayload : CallPayload
{
    /// <summary><c>incoming</c> or <c>outgoing</c>.</summary>
    public string? Direction { get; set; }
    /// <summary><c>parked</c> or <c>bridging</c>.</summary>
    public string? State { get; set; }
    public DateTimeOffset? StartTime { get; set; }
    public string? CallerIdName { get; set; }
    public IList<CallCustomHeader>? CustomHeaders { get; set; }
    public IList<string>? Tags { get; set; }
}

public sealed class CallAnsweredPayload : CallPayload
{
    public string? State { get; set; } = "answered";
    public DateTimeOffset? StartTime { get; set; }
}

public sealed class CallHangupPayload : CallPayload
{
    /// <summary>One of <see cref="HangupCauses"/>.</summary>
    public string? HangupCause { get; set; }
    /// <summary><c>caller</c>, <c>callee</c> or <c>unknown</c>.</summary>
    public string? HangupSource { get; set; }
    public string? SipHangupCause { get; set; }
    public DateTimeOffset? StartTime { get; set; }
    public string? State { get; set; } = "hangup";
}

/// <summary>Real <c>call.recording.saved</c> payloads carry no <c>call_control_id</c>; the base fields may be null.</summary>
public sealed class CallRecordingSavedPayload : CallPayload
{
    public RecordingUrls? RecordingUrls { get; set; }
    public RecordingUrls? PublicRecordingUrls { get; set; }
    public DateTimeOffset? RecordingStartedAt { get; set; }
    public DateTimeOffset? RecordingEndedAt { get; set; }
    /// <summary><c>single</c> or <c>dual</c>.</summary>
    public string? Channels { get; set; }
}

/// <summary><c>call.speak.started</c> and <c>call.speak.ended</c> (with <see cref="Status"/>).</summary>
public sealed class CallSpeakPayload : CallPayload
{
    /// <summary>On <c>call.speak.ended</c>: <c>completed</c>, <c>call_hangup</c> or <c>cancelled_amd</c>.</summary>
    public string? Status { get; set; }
}

/// <summary><c>call.playback.started</c> and <c>call.playback.ended</c> (with <see cref="Status"/>).</summary>
public sealed class CallPlaybackPayload : CallPayload
{
    public string? MediaUrl { get; set; }
    public string? MediaName { get; set; }
    public bool? Overlay { get; set; }
    /// <summary>On <c>call.playback.ended</c>: <c>completed</c>, <c>call_hangup</c>, <c>cancelled</c>, ...</summary>
    public string? Status { get; set; }
}

/// <summary><c>call.dtmf.received</c>: one key the far end pressed.</summary>
public sealed class CallDtmfReceivedPayload : CallPayload
{
    /// <summary><c>0</c>-<c>9</c>, <c>*</c>, <c>#</c>, <c>A</c>-<c>D</c>.</summary>
    public string? Digit { get; set; }
}

/// <summary><c>call.gather.ended</c>: the digits gathered (the terminating digit left out) and how the gather ended.</summary>
public sealed class CallGatherEndedPayload : CallPayload
{
    public string? Digits { get; set; }

    /// <summary><c>valid</c>, <c>invalid</c>, <c>call_hangup</c>, <c>cancelled</c>, <c>cancelled_amd</c> or <c>timeout</c>.</summary>
    public string? Status { get; set; }
}

/// <summary><c>call.bridged</c>: the call is joined with another; only the shared fields.</summary>
public sealed class CallBridgedPayload : CallPayload
{
}

/// <summary><c>call.machine.detection.ended</c> and <c>call.machine.greeting.ended</c>.</summary>
public sealed class CallMachineDetectionPayload : CallPayload
{
    /// <summary>Detection: <c>human</c>, <c>machine</c>, <c>not_sure</c>; greeting: <c>ended</c>, <c>not_sure</c>.</summary>
    public string? Result { get; set; }
}

public sealed class RecordingUrls : ExtensibleObject
{
    public string? Mp3 { get; set; }
    public string? Wav { get; set; }
}

public sealed class CallCustomHeader : ExtensibleObject
{
    public string? Name { get; set; }
    public string? Value { get; set; }
}

public static class HangupCauses
{
    public const string CallRejected = "call_rejected";
    public const string NormalClearing = "normal_clearing";
    public const string OriginatorCancel = "originator_cancel";
    public const string Timeout = "timeout";
    public const string TimeLimit = "time_limit";
    public const string UserBusy = "user_busy";
    public const string NotFound = "not_found";
    public const string NoAnswer = "no_answer";
    public const string Unspecified = "unspecified";
}
