using Switchboard.DurableWork;
using Switchboard.Platform.Api;
using Switchboard.Events;
using Switchboard.Platform.Lifecycle;
using Switchboard.Platform.Storage;

namespace Switchboard.Platform.Calls;

/// <summary>
/// What happens to a call over time and under commands. The far end of an outbound call acts one lifecycle delay after
/// the dial (see <see cref="FarEnd"/>); an inbound call rings until the application answers or rejects it, or until
/// <c>timeout_secs</c>; an answered call ends at <c>time_limit_secs</c> if nothing else ends it. Every step and command
/// is planned on a snapshot and committed as one batch with the webhooks it causes (see <see cref="CallPlan"/>), ordered per call. A hangup ends what runs on the call first
/// (<c>call.speak.ended</c> with <c>call_hangup</c>), then <c>call.hangup</c>, then the recording's
/// <c>call.recording.saved</c>, as Telnyx orders them.
/// </summary>
public sealed class CallLifecycle(CallEvents events, LifecycleSteps steps, PlatformOptions options, TimeProvider time) : IPlannedStepHandler
{
    private readonly CallGathers gathers = new(events, steps, options);

    public const string Resource = "call";
    public const string FarEndActs = "far_end";
    public const string NoAnswer = "no_answer";
    public const string RemoteHangup = "remote_hangup";
    public const string TimeLimit = "time_limit";
    public const string RingOut = "ring_out";
    public const string MachineDetected = "machine_detected";
    public const string MachineGreetingEnded = "machine_greeting_ended";
    private const string MediaEndPrefix = "media_end:";

    string IPlannedStepHandler.Resource => Resource;

    public async ValueTask PlanAsync(IWorkReader reader, LifecycleStep step, WorkBatch batch)
    {
        var plan = new CallPlan(reader, batch, time.GetUtcNow());
        await PlanAsync(plan, step);
        plan.AddChangedCalls();
    }

    private async ValueTask PlanAsync(CallPlan plan, LifecycleStep step)
    {
        var call = await plan.FindAsync(step.Id);
        if (call is null || !call.IsAlive)
        {
            return; // ended already: by the application, or by this step before a crash cut off its completion
        }

        var application = await CallControlApplications.FindAsync(plan.Reader, call.ConnectionId);
        var now = time.GetUtcNow();
        switch (step.Step)
        {
            case FarEndActs when call.State == CallStates.Bridging:
                var behaviour = FarEnd.For(call.To);
                if (behaviour is FarEndBehaviour.Answers or FarEndBehaviour.AnswersThenHangsUp or FarEndBehaviour.AnswersAsMachine)
                {
                    await AnswerAsync(plan, call, application, now);
                    if (behaviour == FarEndBehaviour.AnswersThenHangsUp)
                    {
                        Schedule(plan, call, RemoteHangup, now + options.LifecycleDelay * 4);
                    }
                }
                else if (FarEnd.Refusal(behaviour) is { } refusal)
                {
                    await HangupAsync(plan, call, application, refusal.Cause, refusal.Source, refusal.Sip, now);
                }
                else
                {
                    Schedule(plan, call, NoAnswer, call.StartTime + TimeSpan.FromSeconds(call.TimeoutSecs));
                }

                break;
            case NoAnswer when call.State == CallStates.Bridging:
                await HangupAsync(plan, call, application, HangupCauses.Timeout, "caller", "487", now);
                break;
            case RingOut when call.State == CallStates.Parked:
                await HangupAsync(plan, call, application, HangupCauses.OriginatorCancel, "caller", "487", now);
                break;
            case RemoteHangup when call.IsAnswered:
                await HangupAsync(plan, call, application, HangupCauses.NormalClearing, "callee", "200", now);
                break;
            case TimeLimit when call.IsAnswered:
                await HangupAsync(plan, call, application, HangupCauses.TimeLimit, "caller", "200", now);
                break;
            case MachineDetected when call.IsAnswered && call.MachineDetection is { } mode:
                var machine = FarEnd.For(call.To) == FarEndBehaviour.AnswersAsMachine;
                events.MachineDetection(plan.Batch, call, application, EventTypes.CallMachineDetectionEnded, machine ? "machine" : "human");
                if (machine && mode is "detect_beep" or "detect_words" or "greeting_end")
                {
                    Schedule(plan, call, MachineGreetingEnded, now + options.LifecycleDelay * 2);
                }

                break;
            case MachineGreetingEnded when call.IsAnswered && call.MachineDetection is { } mode:
                events.MachineDetection(plan.Batch, call, application, EventTypes.CallMachineGreetingEnded, mode == "detect_beep" ? "beep_detected" : "ended");
                break;
            case var gatherStep when GatherStep.TryParse(gatherStep, out var kind, out var number, out var epoch):
                if (call.Gather is not { } gather || gather.Number != number || (kind != GatherStep.Limit && gather.Epoch != epoch))
                {
                    return; // a wait that a key press, a new prompt or the gather's end made stale
                }

                gathers.Time(plan, call, application, gather, kind, now);
                break;
            case var media when media.StartsWith(MediaEndPrefix, StringComparison.Ordinal) && call.Media?.Key == media:
                events.Media(plan.Batch, call, application, call.Media, started: false, status: "completed");
                call.Media = null;
                break;
            default:
                return;
        }

        plan.Save(call);
    }

    /// <summary>Carries out a command on a live call (the caller saves the call).</summary>
    internal async ValueTask CommandAsync(CallPlan plan, StoredCall call, CallControlApplicationResource? application, CallCommand command)
    {
        var now = time.GetUtcNow();
        switch (command.Action)
        {
            case "answer":
                RequireRingingInbound(call, "answer");
                await AnswerAsync(plan, call, application, now);
                break;
            case "reject":
                RequireRingingInbound(call, "reject");
                await HangupAsync(plan, call, application, command.RejectCause!, "callee", command.RejectCause == HangupCauses.UserBusy ? "486" : "603", now);
                break;
            case "hangup":
                await HangupAsync(plan, call, application, HangupCauses.NormalClearing, call.Direction == StoredCall.Outgoing ? "caller" : "callee", "200", now);
                break;
            case "record_start":
                RequireAnswered(call, "record_start");
                if (call.Recording is not null)
                {
                    throw CallErrors.NotNow("the call is being recorded already; record_stop first");
                }

                call.Recording = new ActiveRecording { Id = PlatformIdentity.NewId(), Format = command.Format!, Channels = command.Channels!, StartedAt = now };
                break;
            case "record_stop":
                var recording = call.Recording ?? throw CallErrors.NotNow("the call is not being recorded");
                SaveRecording(plan, call, application, recording, now);
                break;
            case "record_pause":
                if (call.Recording is not { PausedAt: null } active)
                {
                    throw CallErrors.NotNow(call.Recording is null ? "the call is not being recorded" : "the recording is paused already");
                }

                active.PausedAt = now;
                break;
            case "record_resume":
                if (call.Recording is not { PausedAt: { } pausedAt } paused)
                {
                    throw CallErrors.NotNow(call.Recording is null ? "the call is not being recorded" : "the recording is not paused");
                }

                paused.PausedMs += (long)(now - pausedAt).TotalMilliseconds;
                paused.PausedAt = null;
                break;
            case "speak" or "playback_start":
                RequireAnswered(call, command.Action);
                EndMedia(plan, call, application, "cancelled");
                call.Media = new ActiveMedia
                {
                    Kind = command.Action == "speak" ? "speak" : "playback",
                    Key = $"{MediaEndPrefix}{++call.Sequence}",
                    MediaUrl = command.MediaUrl,
                    MediaName = command.MediaName,
                    Overlay = command.Overlay,
                };
                CallPrompt.Add(call, call.Media.Kind, command.Payload ?? command.MediaUrl ?? command.MediaName, now);
                events.Media(plan.Batch, call, application, call.Media, started: true, status: null);
                Schedule(plan, call, call.Media.Key, now + options.LifecycleDelay * 2);
                break;
            case "playback_stop":
                if (call.Media is { Kind: "playback" })
                {
                    EndMedia(plan, call, application, "cancelled");
                }

                break;
            case "gather" or "gather_using_speak" or "gather_using_audio":
                RequireAnswered(call, command.Action);
                if (command.Action != "gather")
                {
                    EndMedia(plan, call, application, "cancelled");
                }

                CallPrompt.Add(call, command.Action == "gather_using_speak" ? "speak" : "playback", command.Payload ?? command.Gather!.AudioUrl ?? command.Gather!.MediaName, now);
                gathers.Start(plan, call, application, command.Gather!, now);
                break;
            case "gather_stop":
                gathers.Stop(plan, call, application, "cancelled");
                break;
            case "send_dtmf":
                RequireAnswered(call, "send_dtmf");
                await SendDtmfAsync(plan, call, command.Digits!, now);
                break;
            case "transfer":
                Transfer(plan, call, application, command.Transfer!, now);
                break;
            case "bridge":
                await BridgeAsync(plan, call, application, command.OtherCallControlId!, now);
                break;
        }
    }

    /// <summary>
    /// <c>transfer</c> of an answered call, or of a ringing inbound one: dials a new leg in the call's session (its far end
    /// by the magic numbers, as a dial's); when it answers, both legs get <c>call.bridged</c>. If it does not, the call
    /// stays as it was.
    /// </summary>
    private void Transfer(CallPlan plan, StoredCall call, CallControlApplicationResource? application, TransferRequest transfer, DateTimeOffset now)
    {
        if (!call.IsAnswered && !(call.Direction == StoredCall.Incoming && call.State == CallStates.Parked))
        {
            throw CallErrors.NotNow($"transfer: the call is {call.State}; transfer an answered call or a ringing inbound one");
        }

        RequireUnlinked(call, "transfer");
        var leg = new StoredCall
        {
            CallControlId = CallControl.NewCallControlId(),
            CallLegId = PlatformIdentity.NewId(),
            CallSessionId = call.CallSessionId,
            ConnectionId = call.ConnectionId,
            From = transfer.From ?? call.To,
            To = transfer.To,
            Direction = StoredCall.Outgoing,
            State = CallStates.Bridging,
            ClientState = transfer.TargetLegClientState,
            WebhookUrl = transfer.WebhookUrl,
            WebhookFailoverUrl = transfer.WebhookFailoverUrl,
            CallerIdName = transfer.CallerIdName,
            StartTime = now,
            TimeoutSecs = transfer.TimeoutSecs,
            TimeLimitSecs = transfer.TimeLimitSecs,
            MachineDetection = transfer.MachineDetection,
            LinkedCallControlId = call.CallControlId,
        };
        call.LinkedCallControlId = leg.CallControlId;
        plan.Insert(leg, null);
        events.Initiated(plan.Batch, leg, application);
        Schedule(plan, leg, FarEndActs, now + options.LifecycleDelay);
    }

    /// <summary><c>bridge</c>: joins two answered calls; <c>call.bridged</c> on each.</summary>
    private async ValueTask BridgeAsync(CallPlan plan, StoredCall call, CallControlApplicationResource? application, string otherId, DateTimeOffset now)
    {
        if (otherId == call.CallControlId)
        {
            throw new ApiException(422, ApiErrors.Invalid("/call_control_id", "a call cannot be bridged with itself; give the call_control_id of another call"));
        }

        var other = await plan.FindAsync(otherId)
            ?? throw new ApiException(422, ApiErrors.NoSuchAssociated("/call_control_id", "call", otherId));
        CallControl.RequireAlive(other);
        RequireAnswered(call, "bridge");
        RequireAnswered(other, "bridge");
        RequireUnlinked(call, "bridge");
        RequireUnlinked(other, "bridge");
        var otherApplication = await CallControlApplications.FindAsync(plan.Reader, other.ConnectionId);
        Join(plan, call, application, other, otherApplication);
        plan.Save(other);
    }

    private void Join(CallPlan plan, StoredCall call, CallControlApplicationResource? application, StoredCall other, CallControlApplicationResource? otherApplication)
    {
        (call.LinkedCallControlId, call.Bridged, other.LinkedCallControlId, other.Bridged) = (other.CallControlId, true, call.CallControlId, true);
        events.Bridged(plan.Batch, call, application, other.CallLegId);
        events.Bridged(plan.Batch, other, otherApplication, call.CallLegId);
    }

    /// <summary><c>send_dtmf</c>: the tones go to the other end; a bridged Call Control leg hears them as key presses.</summary>
    private async ValueTask SendDtmfAsync(CallPlan plan, StoredCall call, string digits, DateTimeOffset now)
    {
        if (call is not { Bridged: true, LinkedCallControlId: { } peerId }
            || await plan.FindAsync(peerId) is not { IsAlive: true } peer)
        {
            return; // a phone hears them; nothing to report
        }

        Press(plan, peer, await CallControlApplications.FindAsync(plan.Reader, peer.ConnectionId), digits.Replace("w", "", StringComparison.Ordinal).Replace("W", "", StringComparison.Ordinal));
        plan.Save(peer);
    }

    /// <summary>The far end presses <paramref name="digits"/> on an answered call: one <c>call.dtmf.received</c> per key.</summary>
    internal void Press(CallPlan plan, StoredCall call, CallControlApplicationResource? application, string digits)
    {
        RequireAnswered(call, "pressing keys");
        var now = time.GetUtcNow();
        foreach (var digit in digits)
        {
            events.DtmfReceived(plan.Batch, call, application, digit, ++call.Sequence);
            if (call.Gather is { } gather)
            {
                gathers.Press(plan, call, application, gather, digit, now);
            }
        }
    }

    /// <summary>The far end hangs up: while it rings, an inbound caller gives up and an outbound callee declines; once answered, a normal clearing.</summary>
    internal ValueTask FarEndHangupAsync(CallPlan plan, StoredCall call, CallControlApplicationResource? application)
    {
        var farEnd = call.Direction == StoredCall.Incoming ? "caller" : "callee";
        var (cause, sip) = call.IsAnswered ? (HangupCauses.NormalClearing, "200")
            : call.Direction == StoredCall.Incoming ? (HangupCauses.OriginatorCancel, "487")
            : (HangupCauses.CallRejected, "603");
        return HangupAsync(plan, call, application, cause, farEnd, sip, time.GetUtcNow());
    }

    private async ValueTask AnswerAsync(CallPlan plan, StoredCall call, CallControlApplicationResource? application, DateTimeOffset now)
    {
        call.State = CallStates.Answered;
        call.AnsweredAt = now;
        events.Answered(plan.Batch, call, application);
        if (call.MachineDetection is not null)
        {
            Schedule(plan, call, MachineDetected, now + options.LifecycleDelay);
        }

        if (call.LinkedCallControlId is { } transferredId && !call.Bridged)
        {
            await BridgeTransferAsync(plan, call, application, transferredId, now);
        }

        if (call.RecordFromAnswerFormat is { } format)
        {
            call.Recording = new ActiveRecording { Id = PlatformIdentity.NewId(), Format = format, Channels = call.RecordFromAnswerChannels ?? "dual", StartedAt = now };
        }

        Schedule(plan, call, TimeLimit, now + TimeSpan.FromSeconds(call.TimeLimitSecs));
    }

    /// <summary>A transfer's new leg answered: it joins the call it was dialled for, if that is still there.</summary>
    private async ValueTask BridgeTransferAsync(CallPlan plan, StoredCall leg, CallControlApplicationResource? application, string transferredId, DateTimeOffset now)
    {
        if (await plan.FindAsync(transferredId) is { IsAlive: true } transferred && transferred.LinkedCallControlId == leg.CallControlId)
        {
            if (transferred.State == CallStates.Parked)
            {
                // Transferred while it rang (Telnyx's forwarding pattern): the caller is connected by the bridge, with no call.answered of its own.
                transferred.State = CallStates.Answered;
                transferred.AnsweredAt = now;
                Schedule(plan, transferred, TimeLimit, now + TimeSpan.FromSeconds(transferred.TimeLimitSecs));
            }

            Join(plan, transferred, await CallControlApplications.FindAsync(plan.Reader, transferred.ConnectionId), leg, application);
            plan.Save(transferred);
        }
    }

    /// <summary>
    /// After <paramref name="call"/> hung up: a bridged leg, or a transfer leg still ringing, is hung up with it; a transfer
    /// leg that ends unanswered only frees the call it was dialled for (which stays, as on Telnyx).
    /// </summary>
    private async ValueTask ReleaseLinkedAsync(CallPlan plan, StoredCall call, string linkedId, DateTimeOffset now)
    {
        if (await plan.FindAsync(linkedId) is not { IsAlive: true } other || other.LinkedCallControlId != call.CallControlId)
        {
            return;
        }

        other.LinkedCallControlId = null;
        if (call.Bridged || !other.IsAnswered)
        {
            var (cause, source, sip) = other.IsAnswered
                ? (HangupCauses.NormalClearing, other.Direction == StoredCall.Outgoing ? "caller" : "callee", "200")
                : (HangupCauses.OriginatorCancel, "caller", "487");
            await HangupAsync(plan, other, await CallControlApplications.FindAsync(plan.Reader, other.ConnectionId), cause, source, sip, now);
        }

        plan.Save(other);
    }

    private async ValueTask HangupAsync(
        CallPlan plan, StoredCall call, CallControlApplicationResource? application, string cause, string source, string sip, DateTimeOffset now)
    {
        gathers.Stop(plan, call, application, "call_hangup");
        EndMedia(plan, call, application, "call_hangup");
        call.State = CallStates.Hangup;
        call.EndedAt = now;
        call.HangupCause = cause;
        call.HangupSource = source;
        call.SipHangupCause = sip;
        events.Hangup(plan.Batch, call, application);
        if (call.Recording is { } recording)
        {
            SaveRecording(plan, call, application, recording, now);
        }

        if (call.LinkedCallControlId is { } linked)
        {
            call.LinkedCallControlId = null;
            await ReleaseLinkedAsync(plan, call, linked, now);
        }
    }

    private void EndMedia(CallPlan plan, StoredCall call, CallControlApplicationResource? application, string status)
    {
        if (call.Media is { } media)
        {
            events.Media(plan.Batch, call, application, media, started: false, status);
            call.Media = null;
        }
    }

    private void SaveRecording(
        CallPlan plan, StoredCall call, CallControlApplicationResource? application, ActiveRecording active, DateTimeOffset now)
    {
        var recording = new RecordingResource
        {
            Id = active.Id,
            CallControlId = call.CallControlId,
            CallLegId = call.CallLegId,
            CallSessionId = call.CallSessionId,
            ConnectionId = call.ConnectionId,
            From = call.From,
            To = call.To,
            Format = active.Format,
            Channels = active.Channels,
            RecordingStartedAt = active.StartedAt,
            RecordingEndedAt = now,
            DurationMs = active.DurationMs(now),
        };
        Recordings.Save(plan.Batch, recording);
        call.Recording = null;
        events.RecordingSaved(plan.Batch, call, application, recording);
    }

    private void Schedule(CallPlan plan, StoredCall call, string step, DateTimeOffset at) =>
        steps.Schedule(plan.Batch, new LifecycleStep(Resource, call.CallControlId, step), at);

    private static void RequireRingingInbound(StoredCall call, string action)
    {
        if (call.Direction != StoredCall.Incoming || call.State != CallStates.Parked)
        {
            throw CallErrors.NotNow(call.Direction == StoredCall.Incoming
                ? $"{action}: the call is {call.State}, not ringing"
                : $"{action} is for incoming calls; this one is outgoing");
        }
    }

    private static void RequireUnlinked(StoredCall call, string action)
    {
        if (call.LinkedCallControlId is { } linked)
        {
            throw CallErrors.NotNow($"{action}: call {ApiErrors.Printable(call.CallControlId)} is {(call.Bridged ? "bridged with" : "being transferred to")} {linked}; hang that leg up first");
        }
    }

    private static void RequireAnswered(StoredCall call, string action)
    {
        if (!call.IsAnswered)
        {
            throw CallErrors.NotNow($"{action}: the call is not answered yet ({call.State})");
        }
    }
}
