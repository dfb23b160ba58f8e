namespace Switchboard.Platform.Calls;

/// <summary>
/// A Call Control application in Telnyx's shape (<c>record_type: "call_control_application"</c>), Telnyx's "connection"
/// for calls: where its calls' webhooks go, and how long the endpoint has to answer them. Numbers join it with their
/// <c>connection_id</c>.
/// </summary>
public sealed class CallControlApplicationResource
{
    public required string Id { get; set; }
    public string RecordType { get; set; } = "call_control_application";
    public required string ApplicationName { get; set; }
    public bool Active { get; set; } = true;
    public string WebhookEventUrl { get; set; } = "";
    public string? WebhookEventFailoverUrl { get; set; }
    public string WebhookApiVersion { get; set; } = "2";

    /// <summary>How long this application's endpoint has to answer a webhook; null: the platform's attempt timeout.</summary>
    public int? WebhookTimeoutSecs { get; set; }
    public string AnchorsiteOverride { get; set; } = "Latency";
    public string DtmfType { get; set; } = "RFC 2833";
    public bool FirstCommandTimeout { get; set; }
    public int FirstCommandTimeoutSecs { get; set; } = 30;
    public bool CallCostInWebhooks { get; set; }
    public bool RedactDtmfDebugLogging { get; set; }
    public CallControlApplicationInbound Inbound { get; set; } = new();
    public CallControlApplicationOutbound Outbound { get; set; } = new();
    public IList<string> Tags { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public sealed class CallControlApplicationInbound
{
    public int? ChannelLimit { get; set; }
    public bool ShakenStirEnabled { get; set; }
    public string? SipSubdomain { get; set; }
    public string SipSubdomainReceiveSettings { get; set; } = "from_anyone";
}

public sealed class CallControlApplicationOutbound
{
    /// <summary>Null when unlimited: the spec's default is null, and Telnyx sends it so.</summary>
    public int? ChannelLimit { get; set; }

    /// <summary>Left out when none is set: the spec types it as a plain string (not nullable), with no null default.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? OutboundVoiceProfileId { get; set; }
}
