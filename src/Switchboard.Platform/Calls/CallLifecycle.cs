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
/// runs in one transaction with the webhooks it causes, ordered per call. A hangup ends what runs on the call first
/// (<c>call.speak.ended</c> with <c>call_hangup</c>), then <c>call.hangup</c>, then the recording's
/// <c>call.recording.saved</c>, as Telnyx orders them.
/// </summary>
public sealed class CallLifecycle(CallEvents events, LifecycleSteps steps, PlatformOptions options, TimeProvider time) : ITransactionStepHandler
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

    string ILifecycleStepHandler.Resource => Resource;

    public async ValueTask RunAsync(IWorkTransaction transaction, LifecycleStep step)
    {
        var call = await CallControl.LockAsync(transaction, step.Id);
        if (call is null || !call.IsAlive)
        {
            return; // ended already: by the application, or by this step before a crash cut off its completion
        }

        var application = await CallControlApplications.FindAsync(transaction, call.ConnectionId);
        var now = time.GetUtcNow();
        switch (step.Step)
        {
            case FarEndActs when call.State == CallStates.Bridging:
                var behaviour = FarEnd.For(call.To);
                if (behaviour is FarEndBehaviour.Answers or FarEndBehaviour.AnswersThenHangsUp or FarEndBehaviour.AnswersAsMachine)
                {
                    await AnswerAsync(transaction, call, application, now);
                    if (behaviour == FarEndBehaviour.AnswersThenHangsUp)
                    {
                        await ScheduleAsync(transaction, call, RemoteHangup, now + options.LifecycleDelay * 4);
                    }
                }
                else if (FarEnd.Refusal(behaviour) is { } refusal)
                {
                    await HangupAsync(transaction, call, application, refusal.Cause, refusal.Source, refusal.Sip, now);
                }
                else
                {
                    await ScheduleAsync(transaction, call, NoAnswer, call.StartTime + TimeSpan.FromSeconds(call.TimeoutSecs));
                }

                break;
            case NoAnswer when call.State == CallStates.Bridging:
                await HangupAsync(transaction, call, application, HangupCauses.Timeout, "caller", "487", now);
                break;
            case RingOut when call.State == CallStates.Parked:
                await HangupAsync(transaction, call, application, HangupCauses.OriginatorCancel, "caller", "487", now);
                break;
            case RemoteHangup when call.IsAnswered:
                await HangupAsync(transaction, call, application, HangupCauses.NormalClearing, "callee", "200", now);
                break;
            case TimeLimit when call.IsAnswered:
                await HangupAsync(transaction, call, application, HangupCauses.TimeLimit, "caller", "200", now);
                break;
            case MachineDetected when call.IsAnswered && call.MachineDetection is { } mode:
                var machine = FarEnd.For(call.To) == FarEndBehaviour.AnswersAsMachine;
                await events.MachineDetectionAsync(transaction, call, application, EventTypes.CallMachineDetectionEnded, machine ? "machine" : "human");
                if (machine && mode is "detect_beep" or "detect_words" or "greeting_end")
                {
                    await ScheduleAsync(transaction, call, MachineGreetingEnded, now + options.LifecycleDelay * 2);
                }

                break;
            case MachineGreetingEnded when call.IsAnswered && call.MachineDetection is { } mode:
                await events.MachineDetectionAsync(transaction, call, application, EventTypes.CallMachineGreetingEnded, mode == "detect_beep" ? "beep_detected" : "ended");
                break;
            case var gatherStep when GatherStep.TryParse(gatherStep, out var kind, out var number, out var epoch):
                if (call.Gather is not { } gather || gather.Number != number || (kind != GatherStep.Limit && gather.Epoch != epoch))
                {
                    return; // a wait that a key press, a new prompt or the gather's end made stale
                }

                await gathers.TimeAsync(transaction, call, application, gather, kind, now);
                break;
            case var media when media.StartsWith(MediaEndPrefix, StringComparison.Ordinal) && call.Media?.Key == media:
                await events.MediaAsync(transaction, call, application, call.Media, started: false, status: "completed");
                call.Media = null;
                break;
            default:
                return;
        }

        await CallControl.SaveAsync(transaction, call, now);
    }

    /// <summary>Carries out a command on a live call (the caller saves the call).</summary>
    public async ValueTask CommandAsync(IWorkTransaction transaction, StoredCall call, CallControlApplicationResource? application, CallCommand command)
    {
        var now = time.GetUtcNow();
        switch (command.Action)
        {
            case "answer":
                RequireRingingInbound(call, "answer");
                await AnswerAsync(transaction, call, application, now);
                break;
            case "reject":
                RequireRingingInbound(call, "reject");
                await HangupAsync(transaction, call, application, command.RejectCause!, "callee", command.RejectCause == HangupCauses.UserBusy ? "486" : "603", now);
                break;
            case "hangup":
                await HangupAsync(transaction, call, application, HangupCauses.NormalClearing, call.Direction == StoredCall.Outgoing ? "caller" : "callee", "200", now);
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
                await SaveRecordingAsync(transaction, call, application, recording, now);
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
                await EndMediaAsync(transaction, call, application, "cancelled");
                call.Media = new ActiveMedia
                {
                    Kind = command.Action == "speak" ? "speak" : "playback",
                    Key = $"{MediaEndPrefix}{++call.Sequence}",
                    MediaUrl = command.MediaUrl,
                    MediaName = command.MediaName,
                    Overlay = command.Overlay,
                };
                CallPrompt.Add(call, call.Media.Kind, command.Payload ?? command.MediaUrl ?? command.MediaName, now);
                await events.MediaAsync(transaction, call, application, call.Media, started: true, status: null);
                await ScheduleAsync(transaction, call, call.Media.Key, now + options.LifecycleDelay * 2);
                break;
            case "playback_stop":
                if (call.Media is { Kind: "playback" })
                {
                    await EndMediaAsync(transaction, call, application, "cancelled");
                }

                break;
            case "gather" or "gather_using_speak" or "gather_using_audio":
                RequireAnswered(call, command.Action);
                if (command.Action != "gather")
                {
                    await EndMediaAsync(transaction, call, application, "cancelled");
                }

                CallPrompt.Add(call, command.Action == "gather_using_speak" ? "speak" : "playback", command.Payload ?? command.Gather!.AudioUrl ?? command.Gather!.MediaName, now);
                await gathers.StartAsync(transaction, call, application, command.Gather!, now);
                break;
            case "gather_stop":
                await gathers.StopAsync(transaction, call, application, "cancelled");
                break;
            case "send_dtmf":
                RequireAnswered(call, "send_dtmf");
                await SendDtmfAsync(transaction, call, command.Digits!, now);
                break;
            case "transfer":
                await TransferAsync(transaction, call, application, command.Transfer!, now);
                break;
            case "bridge":
                await BridgeAsync(transaction, call, application, command.OtherCallControlId!, now);
                break;
        }
    }

    /// <summary>
    /// <c>transfer</c> of an answered call, or of a ringing inbound one: dials a new leg in the call's session (its far end
    /// by the magic numbers, as a dial's); when it answers, both legs get <c>call.bridged</c>. If it does not, the call
    /// stays as it was.
    /// </summary>
    private async ValueTask TransferAsync(IWorkTransaction transaction, StoredCall call, CallControlApplicationResource? application, TransferRequest transfer, DateTimeOffset now)
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
        await CallControl.InsertAsync(transaction, leg, null, now);
        await events.InitiatedAsync(transaction, leg, application);
        await ScheduleAsync(transaction, leg, FarEndActs, now + options.LifecycleDelay);
    }

    /// <summary><c>bridge</c>: joins two answered calls; <c>call.bridged</c> on each.</summary>
    private async ValueTask BridgeAsync(IWorkTransaction transaction, StoredCall call, CallControlApplicationResource? application, string otherId, DateTimeOffset now)
    {
        if (otherId == call.CallControlId)
        {
            throw new ApiException(422, ApiErrors.Invalid("/call_control_id", "a call cannot be bridged with itself; give the call_control_id of another call"));
        }

        var other = await CallControl.FindAsync(transaction, otherId, forUpdate: true)
            ?? throw new ApiException(422, ApiErrors.NoSuchAssociated("/call_control_id", "call", otherId));
        CallControl.RequireAlive(other);
        RequireAnswered(call, "bridge");
        RequireAnswered(other, "bridge");
        RequireUnlinked(call, "bridge");
        RequireUnlinked(other, "bridge");
        var otherApplication = await CallControlApplications.FindAsync(transaction, other.ConnectionId);
        await JoinAsync(transaction, call, application, other, otherApplication);
        await CallControl.SaveAsync(transaction, other, now);
    }

    private async ValueTask JoinAsync(IWorkTransaction transaction, StoredCall call, CallControlApplicationResource? application, StoredCall other, CallControlApplicationResource? otherApplication)
    {
        (call.LinkedCallControlId, call.Bridged, other.LinkedCallControlId, other.Bridged) = (other.CallControlId, true, call.CallControlId, true);
        await events.BridgedAsync(transaction, call, application, other.CallLegId);
        await events.BridgedAsync(transaction, other, otherApplication, call.CallLegId);
    }

    /// <summary><c>send_dtmf</c>: the tones go to the other end; a bridged Call Control leg hears them as key presses.</summary>
    private async ValueTask SendDtmfAsync(IWorkTransaction transaction, StoredCall call, string digits, DateTimeOffset now)
    {
        if (call is not { Bridged: true, LinkedCallControlId: { } peerId }
            || await CallControl.FindAsync(transaction, peerId, forUpdate: true) is not { IsAlive: true } peer)
        {
            return; // a phone hears them; nothing to report
        }

        await PressAsync(transaction, peer, await CallControlApplications.FindAsync(transaction, peer.ConnectionId), digits.Replace("w", "", StringComparison.Ordinal).Replace("W", "", StringComparison.Ordinal));
        await CallControl.SaveAsync(transaction, peer, now);
    }

    /// <summary>The far end presses <paramref name="digits"/> on an answered call: one <c>call.dtmf.received</c> per key.</summary>
    public async ValueTask PressAsync(IWorkTransaction transaction, StoredCall call, CallControlApplicationResource? application, string digits)
    {
        RequireAnswered(call, "pressing keys");
        var now = time.GetUtcNow();
        foreach (var digit in digits)
        {
            await events.DtmfReceivedAsync(transaction, call, application, digit, ++call.Sequence);
            if (call.Gather is { } gather)
            {
                await gathers.PressAsync(transaction, call, application, gather, digit, now);
            }
        }
    }

    /// <summary>The far end hangs up: while it rings, an inbound caller gives up and an outbound callee declines; once answered, a normal clearing.</summary>
    public ValueTask FarEndHangupAsync(IWorkTransaction transaction, StoredCall call, CallControlApplicationResource? application)
    {
        var farEnd = call.Direction == StoredCall.Incoming ? "caller" : "callee";
        var (cause, sip) = call.IsAnswered ? (HangupCauses.NormalClearing, "200")
            : call.Direction == StoredCall.Incoming ? (HangupCauses.OriginatorCancel, "487")
            : (HangupCauses.CallRejected, "603");
        return HangupAsync(transaction, call, application, cause, farEnd, sip, time.GetUtcNow());
    }

    private async ValueTask AnswerAsync(IWorkTransaction transaction, StoredCall call, CallControlApplicationResource? application, DateTimeOffset now)
    {
        call.State = CallStates.Answered;
        call.AnsweredAt = now;
        await events.AnsweredAsync(transaction, call, application);
        if (call.MachineDetection is not null)
        {
            await ScheduleAsync(transaction, call, MachineDetected, now + options.LifecycleDelay);
        }

        if (call.LinkedCallControlId is { } transferredId && !call.Bridged)
        {
            await BridgeTransferAsync(transaction, call, application, transferredId, now);
        }

        if (call.RecordFromAnswerFormat is { } format)
        {
            call.Recording = new ActiveRecording { Id = PlatformIdentity.NewId(), Format = format, Channels = call.RecordFromAnswerChannels ?? "dual", StartedAt = now };
        }

        await ScheduleAsync(transaction, call, TimeLimit, now + TimeSpan.FromSeconds(call.TimeLimitSecs));
    }

    /// <summary>A transfer's new leg answered: it joins the call it was dialled for, if that is still there.</summary>
    private async ValueTask BridgeTransferAsync(IWorkTransaction transaction, StoredCall leg, CallControlApplicationResource? application, string transferredId, DateTimeOffset now)
    {
        if (await CallControl.FindAsync(transaction, transferredId, forUpdate: true) is { IsAlive: true } transferred && transferred.LinkedCallControlId == leg.CallControlId)
        {
            if (transferred.State == CallStates.Parked)
            {
                // Transferred while it rang (Telnyx's forwarding pattern): the caller is connected by the bridge, with no call.answered of its own.
                transferred.State = CallStates.Answered;
                transferred.AnsweredAt = now;
                await ScheduleAsync(transaction, transferred, TimeLimit, now + TimeSpan.FromSeconds(transferred.TimeLimitSecs));
            }

            await JoinAsync(transaction, transferred, await CallControlApplications.FindAsync(transaction, transferred.ConnectionId), leg, application);
            await CallControl.SaveAsync(transaction, transferred, now);
        }
    }

    /// <summary>
    /// After <paramref name="call"/> hung up: a bridged leg, or a transfer leg still ringing, is hung up with it; a transfer
    /// leg that ends unanswered only frees the call it was dialled for (which stays, as on Telnyx).
    /// </summary>
    private async ValueTask ReleaseLinkedAsync(IWorkTransaction transaction, StoredCall call, string linkedId, DateTimeOffset now)
    {
        if (await CallControl.FindAsync(transaction, linkedId, forUpdate: true) is not { IsAlive: true } other || other.LinkedCallControlId != call.CallControlId)
        {
            return;
        }

        other.LinkedCallControlId = null;
        if (call.Bridged || !other.IsAnswered)
        {
            var (cause, source, sip) = other.IsAnswered
                ? (HangupCauses.NormalClearing, other.Direction == StoredCall.Outgoing ? "caller" : "callee", "200")
                : (HangupCauses.OriginatorCancel, "caller", "487");
            await HangupAsync(transaction, other, await CallControlApplications.FindAsync(transaction, other.ConnectionId), cause, source, sip, now);
        }

        await CallControl.SaveAsync(transaction, other, now);
    }

    private async ValueTask HangupAsync(
        IWorkTransaction transaction, StoredCall call, CallControlApplicationResource? application, string cause, string source, string sip, DateTimeOffset now)
    {
        await gathers.StopAsync(transaction, call, application, "call_hangup");
        await EndMediaAsync(transaction, call, application, "call_hangup");
        call.State = CallStates.Hangup;
        call.EndedAt = now;
        call.HangupCause = cause;
        call.HangupSource = source;
        call.SipHangupCause = sip;
        await events.HangupAsync(transaction, call, application);
        if (call.Recording is { } recording)
        {
            await SaveRecordingAsync(transaction, call, application, recording, now);
        }

        if (call.LinkedCallControlId is { } linked)
        {
            call.LinkedCallControlId = null;
            await ReleaseLinkedAsync(transaction, call, linked, now);
        }
    }

    private async ValueTask EndMediaAsync(IWorkTransaction transaction, StoredCall call, CallControlApplicationResource? application, string status)
    {
        if (call.Media is { } media)
        {
            await events.MediaAsync(transaction, call, application, media, started: false, status);
            call.Media = null;
        }
    }

    private async ValueTask SaveRecordingAsync(
        IWorkTransaction transaction, StoredCall call, CallControlApplicationResource? application, ActiveRecording active, DateTimeOffset now)
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
        await Recordings.SaveAsync(transaction, recording);
        call.Recording = null;
        await events.RecordingSavedAsync(transaction, call, application, recording);
    }

    private ValueTask ScheduleAsync(IWorkTransaction transaction, StoredCall call, string step, DateTimeOffset at) =>
        steps.ScheduleAsync(transaction, new LifecycleStep(Resource, call.CallControlId, step), at);

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
