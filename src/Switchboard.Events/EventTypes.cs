namespace Switchboard.Events;

/// <summary>
/// The event types Switchboard emits and understands. Telnyx has many more; a receiver treats any other
/// string as an unknown (but valid) event type rather than rejecting it.
/// </summary>
public static class EventTypes
{
    public const string MessageSent = "message.sent";
    public const string MessageDelivered = "message.delivered";
    public const string MessageFailed = "message.failed";
    public const string MessageReceived = "message.received";
    public const string MessageFinalized = "message.finalized";
    public const string CallInitiated = "call.initiated";
    public const string CallAnswered = "call.answered";
    public const string CallHangup = "call.hangup";
    public const string CallRecordingSaved = "call.recording.saved";
    public const string CallSpeakStarted = "call.speak.started";
    public const string CallSpeakEnded = "call.speak.ended";
    public const string CallPlaybackStarted = "call.playback.started";
    public const string CallPlaybackEnded = "call.playback.ended";
    public const string CallDtmfReceived = "call.dtmf.received";
    public const string CallGatherEnded = "call.gather.ended";
    public const string CallBridged = "call.bridged";
    public const string CallMachineDetectionEnded = "call.machine.detection.ended";
    public const string CallMachineGreetingEnded = "call.machine.greeting.ended";

    /// <summary>The nine event types of the seed, in lifecycle order.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        MessageSent, MessageDelivered, MessageFailed, MessageReceived, MessageFinalized,
        CallInitiated, CallAnswered, CallHangup, CallRecordingSaved,
    ];

    public static bool IsKnown(string eventType) => PayloadTypeOf(eventType) is not null;

    /// <summary>The typed payload class for a known event type, or null for an unknown one.</summary>
    public static Type? PayloadTypeOf(string eventType) => eventType switch
    {
        MessageSent or MessageDelivered or MessageFailed or MessageReceived or MessageFinalized => typeof(MessagePayload),
        CallInitiated => typeof(CallInitiatedPayload),
        CallAnswered => typeof(CallAnsweredPayload),
        CallHangup => typeof(CallHangupPayload),
        CallRecordingSaved => typeof(CallRecordingSavedPayload),
        CallSpeakStarted or CallSpeakEnded => typeof(CallSpeakPayload),
        CallPlaybackStarted or CallPlaybackEnded => typeof(CallPlaybackPayload),
        CallDtmfReceived => typeof(CallDtmfReceivedPayload),
        CallGatherEnded => typeof(CallGatherEndedPayload),
        CallBridged => typeof(CallBridgedPayload),
        CallMachineDetectionEnded or CallMachineGreetingEnded => typeof(CallMachineDetectionPayload),
        _ => null,
    };
}
