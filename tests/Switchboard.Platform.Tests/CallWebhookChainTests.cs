using Switchboard.Platform.Calls;
using Switchboard.Platform.Webhooks;

namespace Switchboard.Platform.Tests;

/// <summary>
/// Where a call's webhooks go, as <see cref="WebhookRouting.ForCall"/> decides it: the call's own URLs (a dial's or a
/// transfer's), else its application's, each level's failover after its primary; the application's timeout on every
/// target.
/// </summary>
public sealed class CallWebhookChainTests
{
    private static readonly CallControlApplicationResource Application = new()
    {
        Id = "app",
        ApplicationName = "calls",
        WebhookEventUrl = "https://app.example/hooks",
        WebhookEventFailoverUrl = "https://app-failover.example/hooks",
        WebhookTimeoutSecs = 7,
    };

    private static string[] Urls(IReadOnlyList<Delivery.Outbox.WebhookTarget> chain) => [.. chain.Select(t => t.Url.AbsoluteUri)];

    [Fact]
    public void The_calls_own_url_and_failover_come_first_and_the_application_is_not_used()
    {
        var chain = WebhookRouting.ForCall("https://call.example/hooks", "https://call-failover.example/hooks", Application);

        Assert.Equal(["https://call.example/hooks", "https://call-failover.example/hooks"], Urls(chain));
    }

    [Fact]
    public void A_call_with_only_a_failover_url_uses_it_alone()
    {
        var chain = WebhookRouting.ForCall(null, "https://call-failover.example/hooks", Application);

        Assert.Equal(["https://call-failover.example/hooks"], Urls(chain));
    }

    [Fact]
    public void A_call_without_urls_goes_to_the_applications_url_then_its_failover()
    {
        var chain = WebhookRouting.ForCall(null, null, Application);

        Assert.Equal(["https://app.example/hooks", "https://app-failover.example/hooks"], Urls(chain));
    }

    [Fact]
    public void The_applications_timeout_holds_for_every_target_even_the_calls_own()
    {
        Assert.All(WebhookRouting.ForCall("https://call.example/hooks", null, Application), t => Assert.Equal(TimeSpan.FromSeconds(7), t.Timeout));
        Assert.All(WebhookRouting.ForCall(null, null, Application), t => Assert.Equal(TimeSpan.FromSeconds(7), t.Timeout));
        Assert.Null(Assert.Single(WebhookRouting.ForCall("https://call.example/hooks", null, new CallControlApplicationResource
        {
            Id = "app",
            ApplicationName = "calls",
            WebhookEventUrl = "https://app.example/hooks",
        })).Timeout);
    }

    [Fact]
    public void No_url_at_either_level_means_no_webhook()
    {
        Assert.Empty(WebhookRouting.ForCall(null, null, application: null));
        Assert.Empty(WebhookRouting.ForCall(null, null, new CallControlApplicationResource { Id = "app", ApplicationName = "calls" }));
    }
}
