using Switchboard.Receiver;

namespace Switchboard.Web.Inspector;

/// <summary>
/// One recorded request as the inspector shows it: the request, and for a stored webhook its inbox entry (the handlers'
/// runs, the forward among them). A duplicate shows the entry of the webhook it repeats.
/// </summary>
public sealed record RequestView(RecordedRequest Request, InboxEntry? Entry, string? ForwardHandler)
{
    public bool IsDuplicate => Request.Outcome == "duplicate";

    /// <summary>Only a request whose signature was verified may be forwarded (again): the forward may carry a signature of listen's own.</summary>
    public static bool MayForward(RecordedRequest request) => request.Verification == "valid";

    public (string Text, string Kind) Verification => Request.Verification switch
    {
        "valid" => ("valid", "ok"),
        "not_checked" or "unverified" => ("not checked", "plain"),
        var reason => ($"invalid: {reason}", "bad"),
    };

    /// <summary>The handlers' state: not stored (refused), waiting or retrying, handled, or dead-lettered.</summary>
    public (string Text, string Kind) Handlers => Entry switch
    {
        null when Request.Outcome == "rejected" => ("not stored", "plain"),
        null => ("—", "plain"),
        { State: InboxEntryState.Handled } => ("handled", "ok"),
        { State: InboxEntryState.DeadLettered } => ("dead-lettered", "bad"),
        { Runs: 0 } => ("waiting", "wait"),
        _ => ("retrying", "wait"),
    };

    /// <summary>The forward's last run: forwarded, failed (with why), or not yet; "off" without a forward target.</summary>
    public (string Text, string Kind) Forward
    {
        get
        {
            if (ForwardHandler is null)
            {
                return ("off", "plain");
            }

            if (Entry is null)
            {
                return ("—", "plain");
            }

            var last = Entry.HandlerRuns.FirstOrDefault(r => r.Handler == ForwardHandler);
            return last switch
            {
                null => ("waiting", "wait"),
                { Completed: true } => ("forwarded", "ok"),
                _ => ($"failed: {last.Error}", "bad"),
            };
        }
    }

    public static async Task<RequestView> LoadAsync(IWebhookInboxAdmin admin, RecordedRequest request, string? forwardHandler, CancellationToken cancellationToken)
    {
        var entry = request.Outcome != "rejected" && !string.IsNullOrEmpty(request.EventId) ? await admin.GetAsync(request.EventId, cancellationToken) : null;
        return new RequestView(request, entry, forwardHandler);
    }
}

/// <summary>A page of the request log, newest first, and the forwards that were given up on.</summary>
public sealed record RequestList(IReadOnlyList<RequestView> Requests, int Page, bool HasOlder, IReadOnlyList<InboxEntry> DeadLettered, InspectorOptions Options)
{
    public const int PageSize = 50;

    public static async Task<RequestList> LoadAsync(IWebhookInboxAdmin admin, int page, InspectorOptions options, CancellationToken cancellationToken)
    {
        var handler = options.Forwarding?.HandlerName;
        var requests = await admin.ListRequestsAsync(page, PageSize, cancellationToken);
        var views = new List<RequestView>(requests.Count);
        foreach (var request in requests)
        {
            views.Add(await RequestView.LoadAsync(admin, request, handler, cancellationToken));
        }

        var deadLettered = await admin.ListAsync(InboxEntryState.DeadLettered, 1, PageSize, cancellationToken);
        return new RequestList(views, page, requests.Count == PageSize, deadLettered, options);
    }
}

/// <summary>One request's page: the request with its entry, where it was received (for curl), and a notice after an action.</summary>
public sealed record RequestDetail(RequestView View, string WebhookUrl, InspectorOptions Options, string? Notice)
{
    /// <summary>The most of a body the page shows (the request log keeps bodies up to the receiver's limit).</summary>
    public const int MaxBodyShown = 256 * 1024;
}
