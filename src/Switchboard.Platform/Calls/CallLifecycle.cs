using Switchboard.DurableWork;
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
public sealed class CallLifecycle(CallEvents events, LifecycleSteps steps, PlatformOptions options, TimeProvider time) : ILifecycleStepHandler
{
    public const string Resource = "call";
    public const string FarEndActs = "far_end";
    public const string NoAnswer = "no_answer";
    public const string RemoteHangup = "remote_hangup";
    public const string TimeLimit = "time_limit";
    public const string RingOut = "ring_out";
    private const string MediaEndPrefix = "media_end:";

    string ILifecycleStepHandler.Resource => Resource;

    public async ValueTask RunAsync(IWorkTransaction transaction, LifecycleStep step)
    {
        var call = await CallControl.FindAsync(transaction, step.Id, forUpdate: true);
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
                if (behaviour is FarEndBehaviour.Answers or FarEndBehaviour.AnswersThenHangsUp)
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
                await EndMediaAsync(transaction, call, application, command.Action == "speak" ? "completed" : "cancelled");
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
        }
    }

    /// <summary>The far end presses <paramref name="digits"/> on an answered call: one <c>call.dtmf.received</c> per key.</summary>
    public async ValueTask PressAsync(IWorkTransaction transaction, StoredCall call, CallControlApplicationResource? application, string digits)
    {
        RequireAnswered(call, "pressing keys");
        foreach (var digit in digits)
        {
            await events.DtmfReceivedAsync(transaction, call, application, digit, ++call.Sequence);
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
        if (call.RecordFromAnswerFormat is { } format)
        {
            call.Recording = new ActiveRecording { Id = PlatformIdentity.NewId(), Format = format, Channels = call.RecordFromAnswerChannels ?? "dual", StartedAt = now };
        }

        await ScheduleAsync(transaction, call, TimeLimit, now + TimeSpan.FromSeconds(call.TimeLimitSecs));
    }

    private async ValueTask HangupAsync(
        IWorkTransaction transaction, StoredCall call, CallControlApplicationResource? application, string cause, string source, string sip, DateTimeOffset now)
    {
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
            Format = active.Format,
            Channels = active.Channels,
            RecordingStartedAt = active.StartedAt,
            RecordingEndedAt = now,
            DurationMs = active.DurationMs(now),
        };
        await Resources.InsertAsync(transaction, ResourceKinds.Recording, recording.Id,
            System.Text.Json.JsonSerializer.Serialize(recording, Api.PlatformJson.Default.RecordingResource), now, new ResourceColumns(Owner: call.CallSessionId, FinishedAt: now));
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

    private static void RequireAnswered(StoredCall call, string action)
    {
        if (!call.IsAnswered)
        {
            throw CallErrors.NotNow($"{action}: the call is not answered yet ({call.State})");
        }
    }
}
