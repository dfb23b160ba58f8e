using Switchboard.Events;

namespace Switchboard.Platform.Calls;

/// <summary>What the called party of an outbound call does, chosen by its number (see <see cref="FarEnd.For"/>).</summary>
public enum FarEndBehaviour
{
    /// <summary>Answers, and stays until the application hangs up (or the time limit).</summary>
    Answers,
    /// <summary>Busy: <c>user_busy</c>, SIP 486.</summary>
    Busy,
    /// <summary>Rings until <c>timeout_secs</c>: <c>timeout</c>.</summary>
    NoAnswer,
    /// <summary>Declines: <c>call_rejected</c>, SIP 603.</summary>
    Rejects,
    /// <summary>Answers, then hangs up itself a few lifecycle delays later: <c>normal_clearing</c> from the callee.</summary>
    AnswersThenHangsUp,
    /// <summary>An answering machine answers: answering machine detection says <c>machine</c>.</summary>
    AnswersAsMachine,
}

/// <summary>
/// The called party, decided by the destination's last seven digits in the range kept for fiction (555-0110 to 555-0114);
/// any other number answers.
/// </summary>
public static class FarEnd
{
    public static IReadOnlyList<(string Suffix, FarEndBehaviour Behaviour, string Description)> Table { get; } =
    [
        ("5550110", FarEndBehaviour.Answers, "answers (as any other number)"),
        ("5550111", FarEndBehaviour.Busy, "busy: call.hangup with user_busy (SIP 486), no call.answered"),
        ("5550112", FarEndBehaviour.NoAnswer, "rings out: call.hangup with timeout after timeout_secs"),
        ("5550113", FarEndBehaviour.Rejects, "rejects: call.hangup with call_rejected (SIP 603)"),
        ("5550114", FarEndBehaviour.AnswersThenHangsUp, "answers, then hangs up: call.hangup with normal_clearing from the callee"),
        ("5550115", FarEndBehaviour.AnswersAsMachine, "an answering machine answers: call.machine.detection.ended says machine"),
    ];

    public static FarEndBehaviour For(string to)
    {
        var suffix = to.Length >= 7 ? to[^7..] : "";
        foreach (var (candidate, behaviour, _) in Table)
        {
            if (candidate == suffix)
            {
                return behaviour;
            }
        }

        return FarEndBehaviour.Answers;
    }

    /// <summary>How a call that did not get answered ends: the cause, who ended it, and the SIP code.</summary>
    public static (string Cause, string Source, string Sip)? Refusal(FarEndBehaviour behaviour) => behaviour switch
    {
        FarEndBehaviour.Busy => (HangupCauses.UserBusy, "callee", "486"),
        FarEndBehaviour.Rejects => (HangupCauses.CallRejected, "callee", "603"),
        _ => null,
    };
}
