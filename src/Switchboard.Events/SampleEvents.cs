namespace Switchboard.Events;

/// <summary>
/// Realistic sample events of every known type, with fresh ids and the current time: what
/// <c>switchboard trigger</c> sends and what tests start from.
/// </summary>
public static class SampleEvents
{
    public const string OurNumber = "+18445550001";
    public const string TheirNumber = "+18665550001";

    public static WebhookEvent Create(string eventType, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var now = time.GetUtcNow();
        var id = Guid.NewGuid().ToString();
        return eventType switch
        {
            EventTypes.MessageSent => WebhookEvent.Create(eventType, id, now, Message(now, MessageStatuses.Sent)),
            EventTypes.MessageDelivered => WebhookEvent.Create(eventType, id, now, Message(now, MessageStatuses.Delivered)),
            EventTypes.MessageFailed => WebhookEvent.Create(eventType, id, now, Message(now, MessageStatuses.DeliveryFailed)),
            EventTypes.MessageFinalized => WebhookEvent.Create(eventType, id, now, Message(now, MessageStatuses.Delivered)),
            EventTypes.MessageReceived => WebhookEvent.Create(eventType, id, now, InboundMessage(now)),
            EventTypes.CallInitiated => WebhookEvent.Create(eventType, id, now, Fill(new CallInitiatedPayload
            {
                Direction = "outgoing",
                State = "parked",
                StartTime = now,
                CallerIdName = "Switchboard",
                CustomHeaders = [],
                Tags = [],
            })),
            EventTypes.CallAnswered => WebhookEvent.Create(eventType, id, now, Fill(new CallAnsweredPayload { StartTime = now.AddSeconds(-4) })),
            EventTypes.CallHangup => WebhookEvent.Create(eventType, id, now, Fill(new CallHangupPayload
            {
                HangupCause = HangupCauses.NormalClearing,
                HangupSource = "caller",
                SipHangupCause = "200",
                StartTime = now.AddSeconds(-30),
            })),
            EventTypes.CallRecordingSaved => WebhookEvent.Create(eventType, id, now, Recording(now)),
            _ => throw new ArgumentException(
                $"no sample for event type '{eventType}'; known types: {string.Join(", ", EventTypes.All)}", nameof(eventType)),
        };
    }

    private static MessagePayload Message(DateTimeOffset now, string status)
    {
        var failed = status is MessageStatuses.DeliveryFailed or MessageStatuses.SendingFailed;
        var final = status is not MessageStatuses.Sent;
        return new MessagePayload
        {
            Id = Guid.NewGuid().ToString(),
            Direction = "outbound",
            Type = "SMS",
            From = new MessageAddress { PhoneNumber = OurNumber, Carrier = "Telnyx", LineType = "Wireless" },
            To = [new MessageAddress { PhoneNumber = TheirNumber, Status = status, Carrier = "T-MOBILE USA, INC.", LineType = "Wireless" }],
            Cc = [],
            Text = "Hello!",
            Media = [],
            MessagingProfileId = "400174b4-1a17-4a4b-8c2f-4d1e35b2e5a1",
            OrganizationId = "b0a1a3e4-4c1a-4ad8-a3b9-0b9c8f1e2d3c",
            Parts = 1,
            Encoding = "GSM-7",
            NumChars = 6,
            Cost = new MessageCost { Amount = "0.0040", Currency = "USD" },
            Errors = failed ? [new MessageError { Code = "40300", Title = "Invalid destination", Detail = "The destination number is not reachable" }] : [],
            SentAt = now.AddMilliseconds(-250),
            CompletedAt = final ? now : null,
            Tags = [],
        };
    }

    private static MessagePayload InboundMessage(DateTimeOffset now) => new()
    {
        Id = Guid.NewGuid().ToString(),
        Direction = "inbound",
        Type = "SMS",
        From = new MessageAddress { PhoneNumber = TheirNumber, Carrier = "T-MOBILE USA, INC.", LineType = "Wireless" },
        To = [new MessageAddress { PhoneNumber = OurNumber, Status = "webhook_delivered", Carrier = "Telnyx", LineType = "Wireless" }],
        Cc = [],
        Text = "Hello back!",
        Media = [],
        MessagingProfileId = "400174b4-1a17-4a4b-8c2f-4d1e35b2e5a1",
        Parts = 1,
        Encoding = "GSM-7",
        ReceivedAt = now,
        Tags = [],
    };

    private static CallRecordingSavedPayload Recording(DateTimeOffset now)
    {
        var recordingId = Guid.NewGuid().ToString("N");
        return new CallRecordingSavedPayload
        {
            CallLegId = Guid.NewGuid().ToString(),
            CallSessionId = Guid.NewGuid().ToString(),
            ConnectionId = "1684641123236054244",
            RecordingUrls = new RecordingUrls { Mp3 = $"https://recordings.example.invalid/{recordingId}.mp3", Wav = $"https://recordings.example.invalid/{recordingId}.wav" },
            PublicRecordingUrls = new RecordingUrls { Mp3 = $"https://recordings.example.invalid/public/{recordingId}.mp3", Wav = $"https://recordings.example.invalid/public/{recordingId}.wav" },
            RecordingStartedAt = now.AddSeconds(-42),
            RecordingEndedAt = now.AddSeconds(-1),
            Channels = "single",
        };
    }

    private static T Fill<T>(T payload) where T : CallPayload
    {
        payload.CallControlId = $"v3:{Guid.NewGuid():N}";
        payload.CallLegId = Guid.NewGuid().ToString();
        payload.CallSessionId = Guid.NewGuid().ToString();
        payload.ConnectionId = "1684641123236054244";
        payload.ClientState = Convert.ToBase64String("switchboard-sample"u8);
        payload.From = OurNumber;
        payload.To = TheirNumber;
        return payload;
    }
}
