using Microsoft.AspNetCore.Http;
using Switchboard.Testing;

namespace Switchboard.Delivery.Tests.Outbox;

/// <summary>The endpoints the loop tests and the crash host deliver to: <c>/ok…</c> answers 200, any other path 500.</summary>
internal static class OkOrFailEndpoint
{
    public static async Task<WebhookSink> StartAsync()
    {
        var sink = await WebhookSink.StartAsync();
        sink.Respond = path => new SinkResponse(new PathString(path).StartsWithSegments("/ok") ? 200 : 500, "thanks");
        return sink;
    }
}
