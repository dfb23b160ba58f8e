using Switchboard.Platform.Api;
using Switchboard.Platform.Calls;
using Switchboard.Platform.Numbers;

namespace Switchboard.Web.Dashboard;

/// <summary>The Calls page: the newest calls, the account's numbers to ring, and what the ring form did wrong.</summary>
public sealed record CallsView(IReadOnlyList<StoredCall> Calls, long Total, IReadOnlyList<PhoneNumberResource> Numbers)
{
    /// <summary>How many calls the page lists, newest first.</summary>
    public const int Shown = 50;

    public IReadOnlyList<ApiError> Errors { get; init; } = [];

    /// <summary>The ring form's values, kept when it is refused.</summary>
    public string From { get; init; } = "+13125550199";

    public string? To { get; init; }

    public static async Task<CallsView> LoadAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var (calls, total) = await Get<CallLog>(services).ListAsync(Shown, cancellationToken);
        var (numbers, _) = await Get<PhoneNumbers>(services).ListAsync(1, ConfigView.Shown, cancellationToken: cancellationToken);
        return new CallsView(calls, total, numbers);
    }

    /// <summary>A number inbound calls can ring: one on a Call Control application.</summary>
    public IEnumerable<PhoneNumberResource> Ringable => Numbers.Where(n => n.ConnectionId is not null);

    /// <summary>A word for the call's state, and the badge's colour.</summary>
    public static (string Text, string Kind) StateOf(StoredCall call) => call.State switch
    {
        CallStates.Answered => ("answered", "ok"),
        CallStates.Hangup => ("ended", "plain"),
        _ => ("ringing", "wait"),
    };

    /// <summary>The recording's state: recording, paused, or none.</summary>
    public static string? RecordingOf(StoredCall call) => call.Recording switch
    {
        null => null,
        { PausedAt: not null } => $"paused ({call.Recording.Format}, {call.Recording.Channels})",
        _ => $"recording ({call.Recording.Format}, {call.Recording.Channels})",
    };

    /// <summary>What plays on the call now: the speak's or the playback's.</summary>
    public static string? MediaOf(StoredCall call) => call.Media switch
    {
        null => null,
        { Kind: "speak" } => call.Prompts is [.., { Kind: "speak" } said] ? $"saying “{said.Text}”" : "speaking",
        var media => $"playing {media.MediaUrl ?? media.MediaName}",
    };

    /// <summary>The call's page; its id holds a <c>:</c>, escaped.</summary>
    public static string PageOf(string callControlId) => "/calls/" + Uri.EscapeDataString(callControlId);

    private static T Get<T>(IServiceProvider services) where T : notnull => (T)services.GetService(typeof(T))!;
}
