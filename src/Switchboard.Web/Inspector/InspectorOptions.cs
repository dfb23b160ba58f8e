namespace Switchboard.Web.Inspector;

/// <summary>What the inspector needs to know of its host.</summary>
public sealed class InspectorOptions
{
    /// <summary>The path webhooks are received on (for the copy-as-curl command).</summary>
    public required string WebhookPath { get; init; }

    /// <summary>Where verified webhooks are forwarded to; null when they are not.</summary>
    public IInspectorForwarding? Forwarding { get; init; }
}
