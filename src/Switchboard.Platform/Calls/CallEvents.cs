using Switchboard.DurableWork;
using Switchboard.Events;
using Switchboard.Platform.Webhooks;

namespace Switchboard.Platform.Calls;

/// <summary>
/// A call's webhooks, with exactly the fields the official SDK's webhook types declare for each event: where they go is
/// <see cref="WebhookRouting.ForCall"/>'s; all of one call share its session as ordering key.
/// </summary>
public sealed class CallEvents(EventPublisher publisher, RecordingLinks links)
{
    public void Initiated(WorkBatch batch, StoredCall call, CallControlApplicationResource? application) =>
        Publish(batch, call, application, EventTypes.CallInitiated, EventTypes.CallInitiated, Fill(new CallInitiatedPayload
        {
            Direction = call.Direction,
            State = call.State,
            StartTime = call.StartTime,
            CallerIdName = call.CallerIdName,
            CustomHeaders = call.CustomHeaders,
            Tags = [],
        }, call));

    public void Answered(WorkBatch batch, StoredCall call, CallControlApplicationResource? application) =>
        Publish(batch, call, application, EventTypes.CallAnswered, EventTypes.CallAnswered, Fill(new CallAnsweredPayload { StartTime = call.StartTime }, call));

    public void Hangup(WorkBatch batch, StoredCall call, CallControlApplicationResource? application) =>
        Publish(batch, call, application, EventTypes.CallHangup, EventTypes.CallHangup, Fill(new CallHangupPayload
        {
            HangupCause = call.HangupCause,
            HangupSource = call.HangupSource,
            SipHangupCause = call.SipHangupCause,
            StartTime = call.StartTime,
        }, call));

    public void RecordingSaved(WorkBatch batch, StoredCall call, CallControlApplicationResource? application, RecordingResource recording) =>
        Publish(batch, call, application, EventTypes.CallRecordingSaved, $"{EventTypes.CallRecordingSaved}:{recording.Id}", new CallRecordingSavedPayload
        {
            // As on Telnyx: the leg and the session, not the call control id.
            CallLegId = call.CallLegId,
            CallSessionId = call.CallSessionId,
            ConnectionId = call.ConnectionId,
            ClientState = call.ClientState,
            Channels = recording.Channels,
            RecordingStartedAt = recording.RecordingStartedAt,
            RecordingEndedAt = recording.RecordingEndedAt,
            RecordingUrls = new RecordingUrls
            {
                Wav = links.For(recording.Id, "wav"),
                Mp3 = recording.Format == "mp3" ? links.For(recording.Id, "mp3") : null,
            },
            PublicRecordingUrls = new RecordingUrls(),
        });

    /// <summary><c>call.dtmf.received</c>; <paramref name="key"/> tells this key press from the call's others.</summary>
    public void DtmfReceived(WorkBatch batch, StoredCall call, CallControlApplicationResource? application, char digit, int key) =>
        Publish(batch, call, application, EventTypes.CallDtmfReceived, $"{EventTypes.CallDtmfReceived}:{key}",
            Fill(new CallDtmfReceivedPayload { Digit = digit.ToString() }, call));

    public void GatherEnded(WorkBatch batch, StoredCall call, CallControlApplicationResource? application, ActiveGather gather, string status) =>
        Publish(batch, call, application, EventTypes.CallGatherEnded, $"{EventTypes.CallGatherEnded}:{gather.Number}",
            Fill(new CallGatherEndedPayload { Digits = gather.Digits, Status = status }, call));

    /// <summary><c>call.bridged</c> on <paramref name="call"/>, joined to the leg <paramref name="otherLegId"/>.</summary>
    public void Bridged(WorkBatch batch, StoredCall call, CallControlApplicationResource? application, string otherLegId) =>
        Publish(batch, call, application, EventTypes.CallBridged, $"{EventTypes.CallBridged}:{otherLegId}", Fill(new CallBridgedPayload(), call));

    /// <summary><c>call.machine.detection.ended</c> or <c>call.machine.greeting.ended</c> (once each per call).</summary>
    public void MachineDetection(WorkBatch batch, StoredCall call, CallControlApplicationResource? application, string eventType, string result) =>
        Publish(batch, call, application, eventType, eventType, Fill(new CallMachineDetectionPayload { Result = result }, call));

    /// <summary>A speak's or playback's start, or its end with <paramref name="status"/>: <c>completed</c>, <c>cancelled</c> (cut short), <c>call_hangup</c>.</summary>
    public void Media(WorkBatch batch, StoredCall call, CallControlApplicationResource? application, ActiveMedia media, bool started, string? status)
    {
        var eventType = (media.Kind, started) switch
        {
            ("speak", true) => EventTypes.CallSpeakStarted,
            ("speak", false) => EventTypes.CallSpeakEnded,
            (_, true) => EventTypes.CallPlaybackStarted,
            _ => EventTypes.CallPlaybackEnded,
        };
        var name = $"{eventType}:{media.Key}";
        // call.speak.ended's status enum (completed, call_hangup, cancelled_amd) has no "cancelled", unlike
        // call.playback.ended's: a speak cut short by another command ends "completed".
        if (media.Kind == "speak")
        {
            Publish(batch, call, application, eventType, name, Fill(new CallSpeakPayload { Status = status == "cancelled" ? "completed" : status }, call, withParties: false));
            return;
        }

        Publish(batch, call, application, eventType, name, Fill(new CallPlaybackPayload
        {
            MediaUrl = media.MediaUrl,
            MediaName = media.MediaName,
            Overlay = media.Overlay,
            Status = status,
        }, call, withParties: false));
    }

    private void Publish<T>(WorkBatch batch, StoredCall call, CallControlApplicationResource? application, string eventType, string eventName, T payload)
        where T : class =>
        publisher.Publish(batch, eventType, call.CallControlId, eventName, payload,
            WebhookRouting.ForCall(call.WebhookUrl, call.WebhookFailoverUrl, application), orderingKey: call.CallSessionId);

    /// <summary>The fields every call event shares; the parties (<c>from</c>, <c>to</c>) on the events whose types declare them.</summary>
    private static T Fill<T>(T payload, StoredCall call, bool withParties = true) where T : CallPayload
    {
        payload.CallControlId = call.CallControlId;
        payload.CallLegId = call.CallLegId;
        payload.CallSessionId = call.CallSessionId;
        payload.ConnectionId = call.ConnectionId;
        payload.ClientState = call.ClientState;
        if (withParties)
        {
            payload.From = call.From;
            payload.To = call.To;
        }

        return payload;
    }
}
