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

    /// <summary>What goes on in the call now: what it plays, a gather and its keys so far, a bridge, a recording; null: nothing.</summary>
    public static string? NowOf(StoredCall call)
    {
        var now = new List<string>(4);
        if (call.Media is { } media)
        {
            now.Add(media.Kind == "speak"
                ? call.Prompts is [.., { Kind: "speak" } said] ? $"saying “{said.Text}”" : "speaking"
                : $"playing {media.MediaUrl ?? media.MediaName}");
        }

        if (call.Gather is { } gather)
        {
            now.Add(gather.Digits.Length > 0 ? $"gathering keys: {gather.Digits}" : "gathering keys");
        }

        if (call.Bridged)
        {
            now.Add("bridged");
        }

        if (call.Recording is { } recording)
        {
            now.Add($"{(recording.PausedAt is null ? "recording" : "recording paused")} ({recording.Format}, {recording.Channels})");
        }

        return now.Count == 0 ? null : string.Join("; ", now);
    }

    /// <summary>The call's page; its id holds a <c>:</c>, escaped.</summary>
    public static string PageOf(string callControlId) => "/calls/" + Uri.EscapeDataString(callControlId);

    private static T Get<T>(IServiceProvider services) where T : notnull => (T)services.GetService(typeof(T))!;
}
