using Switchboard.Events;

namespace Switchboard.Platform.Messaging;

/// <summary>A message as stored: its Telnyx shape (what the API returns and the events carry) and how its webhooks route.</summary>
public sealed class StoredMessage
{
    public required MessagePayload Message { get; set; }

    /// <summary>Telnyx's <c>use_profile_webhooks</c> (default true): the profile's URLs follow the message's own.</summary>
    public bool UseProfileWebhooks { get; set; } = true;

    public string Status => Message.To is [var to, ..] ? to.Status ?? "" : "";

    public string Recipient => Message.To is [var to, ..] ? to.PhoneNumber ?? "" : "";

    public void SetStatus(string status)
    {
        foreach (var to in Message.To ?? [])
        {
            to.Status = status;
        }
    }
}
