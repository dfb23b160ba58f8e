using Switchboard.DurableWork;
using Switchboard.Platform.Lifecycle;

namespace Switchboard.Platform.Calls;

/// <summary>
/// Gathers as Telnyx documents them. <c>gather</c> waits <c>initial_timeout_millis</c> for the first key and
/// <c>inter_digit_timeout_millis</c> between keys, within <c>timeout_millis</c> in all. <c>gather_using_speak</c> and
/// <c>gather_using_audio</c> play their prompt (the audio one with <c>call.playback.started</c>/<c>ended</c>; a speak
/// prompt sends no speak events), wait <c>timeout_millis</c> after it for the first key, and replay it up to
/// <c>maximum_tries</c> times, after an invalid entry beginning with the invalid prompt. A key interrupts the prompt.
/// The gather ends with the terminating digit (left out of <c>digits</c>), at <c>maximum_digits</c>, at a key outside
/// <c>valid_digits</c>, or when a wait runs out; then <c>call.gather.ended</c> says <c>valid</c> (between
/// <c>minimum_digits</c> and <c>maximum_digits</c> keys, all valid), <c>invalid</c>, <c>timeout</c> (no key at all, or the
/// whole <c>timeout_millis</c> of a <c>gather</c> gone), <c>cancelled</c> (gather_stop, a new gather) or
/// <c>call_hangup</c>. Every wait is a durable lifecycle step (see <see cref="GatherStep"/>).
/// </summary>
internal sealed class CallGathers(CallEvents events, LifecycleSteps steps, PlatformOptions options)
{
    public void Start(CallPlan plan, StoredCall call, CallControlApplicationResource? application, ActiveGather gather, DateTimeOffset now)
    {
        Stop(plan, call, application, "cancelled");
        gather.Number = ++call.Sequence;
        call.Gather = gather;
        if (gather.Kind == "gather")
        {
            Schedule(plan, call, gather, GatherStep.Limit, now + Millis(gather.TimeoutMillis));
            Wait(plan, call, gather, now + Millis(gather.InitialTimeoutMillis));
        }
        else
        {
            Prompt(plan, call, application, gather, now);
        }
    }

    /// <summary>A key the far end pressed (its <c>call.dtmf.received</c> sent already).</summary>
    public void Press(CallPlan plan, StoredCall call, CallControlApplicationResource? application, ActiveGather gather, char key, DateTimeOffset now)
    {
        StopPrompt(plan, call, application, gather, "cancelled");
        if (gather.TerminatingDigit is [var terminating] && key == terminating)
        {
            Complete(plan, call, application, gather, now);
            return;
        }

        gather.Digits += key;
        if (!gather.ValidDigits.Contains(key, StringComparison.Ordinal))
        {
            Invalid(plan, call, application, gather, now);
        }
        else if (gather.Digits.Length >= gather.MaximumDigits)
        {
            Complete(plan, call, application, gather, now);
        }
        else
        {
            Wait(plan, call, gather, now + Millis(gather.InterDigitTimeoutMillis));
        }
    }

    /// <summary>One of the gather's steps fell due (the caller checked it is not stale).</summary>
    public void Time(CallPlan plan, StoredCall call, CallControlApplicationResource? application, ActiveGather gather, string kind, DateTimeOffset now)
    {
        switch (kind)
        {
            case GatherStep.Limit:
                End(plan, call, application, gather, "timeout");
                break;
            case GatherStep.Prompt when gather.Prompting:
                StopPrompt(plan, call, application, gather, "completed");
                if (gather.LastInvalid)
                {
                    gather.LastInvalid = false; // the invalid prompt played: now the prompt itself
                    Prompt(plan, call, application, gather, now);
                }
                else
                {
                    Wait(plan, call, gather, now + Millis(gather.TimeoutMillis));
                }

                break;
            case GatherStep.Wait when gather.Digits.Length > 0:
                Complete(plan, call, application, gather, now);
                break;
            case GatherStep.Wait when gather.Tries < gather.MaximumTries:
                gather.Tries++;
                Prompt(plan, call, application, gather, now);
                break;
            case GatherStep.Wait:
                End(plan, call, application, gather, "timeout");
                break;
        }
    }

    /// <summary>Ends the call's gather, if any, with <paramref name="status"/> (<c>cancelled</c>, <c>call_hangup</c>).</summary>
    public void Stop(CallPlan plan, StoredCall call, CallControlApplicationResource? application, string status)
    {
        if (call.Gather is { } gather)
        {
            End(plan, call, application, gather, status);
        }
    }

    private void Complete(CallPlan plan, StoredCall call, CallControlApplicationResource? application, ActiveGather gather, DateTimeOffset now)
    {
        if (gather.Digits.Length >= gather.MinimumDigits && gather.Digits.Length <= gather.MaximumDigits)
        {
            End(plan, call, application, gather, "valid");
        }
        else
        {
            Invalid(plan, call, application, gather, now);
        }
    }

    private void Invalid(CallPlan plan, StoredCall call, CallControlApplicationResource? application, ActiveGather gather, DateTimeOffset now)
    {
        if (gather.Tries >= gather.MaximumTries)
        {
            End(plan, call, application, gather, "invalid");
            return;
        }

        gather.Tries++;
        gather.Digits = "";
        gather.LastInvalid = gather.Kind == "speak" || gather.InvalidAudioUrl is not null || gather.InvalidMediaName is not null;
        Prompt(plan, call, application, gather, now);
    }

    private void End(CallPlan plan, StoredCall call, CallControlApplicationResource? application, ActiveGather gather, string status)
    {
        StopPrompt(plan, call, application, gather, status == "call_hangup" ? "call_hangup" : "cancelled");
        call.Gather = null;
        events.GatherEnded(plan.Batch, call, application, gather, status);
    }

    /// <summary>Plays the prompt (the invalid one first after an invalid entry); its end is a step.</summary>
    private void Prompt(CallPlan plan, StoredCall call, CallControlApplicationResource? application, ActiveGather gather, DateTimeOffset now)
    {
        gather.Prompting = true;
        var step = Schedule(plan, call, gather, GatherStep.Prompt, now + options.LifecycleDelay * 2);
        if (gather.Kind == "audio")
        {
            if (call.Media is { } playing)
            {
                events.Media(plan.Batch, call, application, playing, started: false, "cancelled");
            }

            call.Media = new ActiveMedia
            {
                Kind = "playback",
                Key = step,
                MediaUrl = gather.LastInvalid ? gather.InvalidAudioUrl : gather.AudioUrl,
                MediaName = gather.LastInvalid ? gather.InvalidMediaName : gather.MediaName,
            };
            events.Media(plan.Batch, call, application, call.Media, started: true, status: null);
        }
    }

    private void StopPrompt(CallPlan plan, StoredCall call, CallControlApplicationResource? application, ActiveGather gather, string status)
    {
        if (!gather.Prompting)
        {
            return;
        }

        gather.Prompting = false;
        if (call.Media is { } media && GatherStep.TryParse(media.Key, out _, out var number, out _) && number == gather.Number)
        {
            events.Media(plan.Batch, call, application, media, started: false, status);
            call.Media = null;
        }
    }

    private void Wait(CallPlan plan, StoredCall call, ActiveGather gather, DateTimeOffset at) =>
        Schedule(plan, call, gather, GatherStep.Wait, at);

    /// <summary>Schedules the gather's <paramref name="kind"/> step at a new epoch (which makes every wait before it stale); returns its name.</summary>
    private string Schedule(CallPlan plan, StoredCall call, ActiveGather gather, string kind, DateTimeOffset at)
    {
        var name = GatherStep.Name(kind, gather.Number, kind == GatherStep.Limit ? 0 : ++gather.Epoch);
        steps.Schedule(plan.Batch, new LifecycleStep(CallLifecycle.Resource, call.CallControlId, name), at);
        return name;
    }

    private static TimeSpan Millis(int milliseconds) => TimeSpan.FromMilliseconds(milliseconds);
}

/// <summary>The names of a gather's lifecycle steps: <c>gather_{kind}:{gather}:{epoch}</c>.</summary>
internal static class GatherStep
{
    /// <summary>A <c>gather</c>'s whole <c>timeout_millis</c>.</summary>
    public const string Limit = "limit";

    /// <summary>The wait for the first key or the next.</summary>
    public const string Wait = "wait";

    /// <summary>The prompt's end.</summary>
    public const string Prompt = "prompt";

    private const string Prefix = "gather_";

    public static string Name(string kind, int gather, int epoch) => $"{Prefix}{kind}:{gather}:{epoch}";

    public static bool TryParse(string step, out string kind, out int gather, out int epoch)
    {
        (kind, gather, epoch) = ("", 0, 0);
        if (!step.StartsWith(Prefix, StringComparison.Ordinal) || step[Prefix.Length..].Split(':') is not [var k, var g, var e])
        {
            return false;
        }

        kind = k;
        return int.TryParse(g, System.Globalization.CultureInfo.InvariantCulture, out gather) && int.TryParse(e, System.Globalization.CultureInfo.InvariantCulture, out epoch);
    }
}
