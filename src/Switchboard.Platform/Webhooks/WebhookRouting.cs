using Switchboard.Delivery.Outbox;
using Switchboard.Platform.Calls;
using Switchboard.Platform.Messaging;

namespace Switchboard.Platform.Webhooks;

/// <summary>
/// Where an event's webhook goes: the chain of URLs each attempt tries in order until one answers 2xx. Each level's
/// failover URL follows its primary. Messages (the seed's three levels, and Telnyx's <c>use_profile_webhooks</c>): the
/// message's own URLs first; then, unless <c>use_profile_webhooks</c> is false, its messaging profile's (if the profile
/// takes this event type: a profile that does not, sends no webhook of that type); the account's global URLs only when
/// the message has none and the profile level has none or is skipped. Calls (Telnyx's Call Control): the call's own
/// URLs (a dial's or a transfer's <c>webhook_url</c>) if it has any, else its application's <c>webhook_event_url</c>;
/// never the global URLs; every target within the application's <c>webhook_timeout_secs</c>. An empty chain: no webhook.
/// </summary>
public static class WebhookRouting
{
    public static IReadOnlyList<WebhookTarget> ForMessage(
        string eventType, string? messageUrl, string? messageFailoverUrl, bool useProfileWebhooks, MessagingProfileResource? profile, GlobalWebhooks global)
    {
        var chain = new List<WebhookTarget>(4);
        Add(chain, messageUrl, messageFailoverUrl);
        if (useProfileWebhooks && profile is not null && profile.Sends(eventType))
        {
            Add(chain, profile.WebhookUrl, profile.WebhookFailoverUrl);
        }

        var messageHasUrls = messageUrl is not null || messageFailoverUrl is not null;
        var profileHasUrls = useProfileWebhooks && (profile?.WebhookUrl is not null || profile?.WebhookFailoverUrl is not null);
        if (!messageHasUrls && !profileHasUrls)
        {
            Add(chain, global.WebhookUrl, global.WebhookFailoverUrl);
        }

        return chain;
    }

    public static IReadOnlyList<WebhookTarget> ForCall(string? callUrl, string? callFailoverUrl, CallControlApplicationResource? application)
    {
        var chain = new List<WebhookTarget>(2);
        if (callUrl is not null || callFailoverUrl is not null)
        {
            Add(chain, callUrl, callFailoverUrl);
        }
        else if (application is not null)
        {
            Add(chain, application.WebhookEventUrl, application.WebhookEventFailoverUrl);
        }

        var timeout = application?.WebhookTimeoutSecs is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        return [.. chain.Select(t => t with { Timeout = timeout })];
    }

    /// <summary>A level's URLs: its primary, then its failover (a failover alone is used alone).</summary>
    private static void Add(List<WebhookTarget> chain, string? primary, string? failover)
    {
        foreach (var url in new[] { primary, failover })
        {
            if (!string.IsNullOrEmpty(url) && Uri.TryCreate(url, UriKind.Absolute, out var uri) && !chain.Any(t => t.Url == uri))
            {
                chain.Add(new WebhookTarget(uri));
            }
        }
    }
}
