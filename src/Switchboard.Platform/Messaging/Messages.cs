using System.Text.Json;
using System.Text.RegularExpressions;
using Switchboard.DurableWork;
using Switchboard.Events;
using Switchboard.Platform.Api;
using Switchboard.Platform.Lifecycle;
using Switchboard.Platform.Numbers;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Webhooks;

namespace Switchboard.Platform.Messaging;

/// <summary>
/// Messages: sending one (<c>POST /messages</c>) stores it queued and schedules the first step of its lifecycle in the
/// same batch; reading one; and receiving one (the emulator's inbound message, which fires <c>message.received</c>).
/// </summary>
public sealed partial class Messages(IWorkStore store, LifecycleSteps lifecycle, EventPublisher events, PlatformOptions options, PlatformMetrics metrics, TimeProvider time)
{
    public const int MaxMediaUrls = 10;

    private const string Carrier = "TELNYX LLC";
    private const string RecipientCarrier = "T-MOBILE USA, INC.";

    public async Task<StoredMessage> SendAsync(JsonBody body, CancellationToken cancellationToken = default)
    {
        var request = ReadSend(body);
        var now = time.GetUtcNow();
        var id = PlatformIdentity.NewId();
        var sent = await Resources.PlanAsync(store, async (reader, batch) =>
        {
            var (from, profile) = await ResolveSenderAsync(reader, request);
            var country = E164.Country(request.To);
            if (profile.WhitelistedDestinations.Count > 0 && !profile.WhitelistedDestinations.Contains("*") && !profile.WhitelistedDestinations.Contains(country))
            {
                throw new ApiException(422, ApiErrors.Invalid("/to",
                    $"messaging profile '{profile.Id}' may not send to {country} (its whitelisted_destinations are {string.Join(", ", profile.WhitelistedDestinations)})"));
            }

            var message = new StoredMessage
            {
                UseProfileWebhooks = request.UseProfileWebhooks,
                Message = new MessagePayload
                {
                    Id = id,
                    Direction = "outbound",
                    Type = request.Type,
                    MessagingProfileId = profile.Id,
                    OrganizationId = PlatformIdentity.OrganizationId,
                    From = new MessageAddress { PhoneNumber = from, Carrier = Carrier, LineType = "Wireless" },
                    To = [new MessageAddress { PhoneNumber = request.To, Status = MessageStatuses.Queued, Carrier = RecipientCarrier, LineType = "Wireless" }],
                    Cc = [],
                    Text = request.Text,
                    Subject = request.Subject,
                    Media = [.. request.MediaUrls.Select(u => new MessageMedia { Url = u, ContentType = ContentType(u) })],
                    Parts = request.Parts.Parts,
                    Encoding = request.Parts.Encoding,
                    NumChars = request.Parts.NumChars,
                    Cost = new MessageCost { Amount = MessageText.Cost(request.Type, request.Parts.Parts), Currency = "USD" },
                    Errors = [],
                    ReceivedAt = now,
                    WebhookUrl = request.WebhookUrl,
                    WebhookFailoverUrl = request.WebhookFailoverUrl,
                    Tags = [],
                },
            };
            Resources.Insert(batch, ResourceKinds.Message, id, Serialize(message), now, new ResourceColumns(Owner: profile.Id));
            lifecycle.Schedule(batch, new LifecycleStep(MessageLifecycle.Resource, id, MessageLifecycle.Send), now + options.LifecycleDelay);
            return message;
        }, cancellationToken);
        metrics.MessageAccepted("outbound");
        return sent;
    }

    public async Task<StoredMessage> GetAsync(string id, CancellationToken cancellationToken = default) =>
        await store.ReadAsync(reader => FindAsync(reader, id), cancellationToken) ?? throw ApiErrors.NotFound("message", id);

    /// <summary>
    /// An inbound message to one of the account's numbers: stored, and <c>message.received</c> published to the number's
    /// messaging profile (or the global URLs), in one batch.
    /// </summary>
    public async Task<StoredMessage> ReceiveAsync(JsonBody body, CancellationToken cancellationToken = default)
    {
        var from = E164.Required(body, "from");
        var to = E164.Required(body, "to");
        var (text, subject, media, type, parts) = ReadContent(body);
        body.ThrowIfInvalid();
        var now = time.GetUtcNow();
        var id = PlatformIdentity.NewId();
        var received = await Resources.PlanAsync(store, async (reader, batch) =>
        {
            var number = await PhoneNumbers.FindAsync(reader, to!) ?? throw new ApiException(422, ApiErrors.NoSuchAssociated("/to", "phone number", to!));
            var profile = number.MessagingProfileId is { } profileId ? await MessagingProfiles.FindAsync(reader, profileId) : null;
            if (profile is null)
            {
                throw new ApiException(422, ApiErrors.Invalid("/to",
                    $"{to} has no messaging profile; assign one (PATCH /v2/phone_numbers/{number.Id}/messaging) so its messages have somewhere to go"));
            }

            var message = new StoredMessage
            {
                Message = new MessagePayload
                {
                    Id = id,
                    Direction = "inbound",
                    Type = type,
                    MessagingProfileId = profile.Id,
                    OrganizationId = PlatformIdentity.OrganizationId,
                    From = new MessageAddress { PhoneNumber = from, Carrier = RecipientCarrier, LineType = "Wireless" },
                    To = [new MessageAddress { PhoneNumber = to, Status = "webhook_delivered", Carrier = Carrier, LineType = "Wireless" }],
                    Cc = [],
                    Text = text,
                    Subject = subject,
                    Media = [.. media.Select(u => new MessageMedia { Url = u, ContentType = ContentType(u) })],
                    Parts = parts.Parts,
                    Encoding = parts.Encoding,
                    NumChars = parts.NumChars,
                    Cost = new MessageCost { Amount = "0.0000", Currency = "USD" },
                    Errors = [],
                    ReceivedAt = now,
                    Tags = [],
                },
            };
            Resources.Insert(batch, ResourceKinds.Message, id, Serialize(message), now, new ResourceColumns(Owner: profile.Id, FinishedAt: now));
            var global = await GlobalWebhooks.ReadAsync(reader);
            var targets = WebhookRouting.ForMessage(EventTypes.MessageReceived, null, null, useProfileWebhooks: true, profile, global);
            events.Publish(batch, EventTypes.MessageReceived, id, EventTypes.MessageReceived, message.Message, targets, orderingKey: id);
            return message;
        }, cancellationToken);
        metrics.MessageAccepted("inbound");
        return received;
    }

    internal static async ValueTask<StoredMessage?> FindAsync(IWorkReader reader, string id) =>
        await Resources.GetAsync(reader, ResourceKinds.Message, id) is { } stored ? Deserialize(stored.Body) : null;

    internal static string Serialize(StoredMessage message) => JsonSerializer.Serialize(message, PlatformJson.Default.StoredMessage);

    internal static StoredMessage Deserialize(string json) =>
        JsonSerializer.Deserialize(json, PlatformJson.Default.StoredMessage) ?? throw new InvalidDataException("a stored message is empty");

    private sealed record SendRequest(
        string To, string? From, string? ProfileId, string Text, string? Subject, IReadOnlyList<string> MediaUrls, string Type, MessageText Parts,
        string? WebhookUrl, string? WebhookFailoverUrl, bool UseProfileWebhooks);

    private static SendRequest ReadSend(JsonBody body)
    {
        var to = E164.Required(body, "to");
        var from = body.String("from", maxLength: 32);
        if (from is not null && !E164.IsValid(from) && !AlphanumericSender().IsMatch(from))
        {
            body.Add(ApiErrors.NotE164(body.Pointer("from"), from));
        }

        var profileId = body.String("messaging_profile_id", maxLength: 64);
        if (from is null && profileId is null)
        {
            body.Add(ApiError.At(body.Pointer("from"), ApiErrors.MissingParameterCode, "Missing required parameter",
                "from is required (or messaging_profile_id, to send from one of the profile's numbers)"));
        }

        var (text, subject, media, type, parts) = ReadContent(body);
        var webhookUrl = WebhookUrls.Read(body, "webhook_url");
        var failoverUrl = WebhookUrls.Read(body, "webhook_failover_url");
        var useProfile = body.Bool("use_profile_webhooks") ?? true;
        body.ThrowIfInvalid();
        return new SendRequest(to!, from, profileId, text ?? "", subject, media, type, parts, webhookUrl, failoverUrl, useProfile);
    }

    /// <summary>Text, subject and media of a message, and its type and parts; at least one of text and media is required.</summary>
    private static (string? Text, string? Subject, IReadOnlyList<string> Media, string Type, MessageText Parts) ReadContent(JsonBody body)
    {
        var text = body.String("text", maxLength: MessageText.MaxTextLength);
        var subject = body.String("subject", maxLength: MessageText.MaxSubjectLength);
        var media = body.Strings("media_urls", MaxMediaUrls, maxLength: WebhookUrls.MaxLength) ?? [];
        for (var i = 0; i < media.Count; i++)
        {
            if (!WebhookUrls.IsHttpUrl(media[i]))
            {
                body.Add(ApiErrors.InvalidUrl($"{body.Pointer("media_urls")}/{i}", $"media_urls[{i}] must be an absolute http or https URL"));
            }
        }

        var requestedType = body.String("type", maxLength: 8);
        if (requestedType is not (null or "SMS" or "MMS"))
        {
            body.Add(ApiErrors.Invalid(body.Pointer("type"), $"type must be SMS or MMS; got '{ApiErrors.Printable(requestedType)}'"));
        }

        var type = requestedType ?? (media.Count > 0 ? "MMS" : "SMS");
        if (type == "SMS" && media.Count > 0)
        {
            body.Add(ApiErrors.Invalid(body.Pointer("type"), "an SMS carries no media; send media_urls as an MMS"));
        }

        if (string.IsNullOrEmpty(text) && media.Count == 0 && !body.Errors.Any(e => e.Source?.Pointer == body.Pointer("text")))
        {
            body.Add(ApiError.At(body.Pointer("text"), ApiErrors.MissingParameterCode, "Missing required parameter", "text is required (or media_urls, for an MMS)"));
        }

        var parts = MessageText.Of(text ?? "");
        if (type == "SMS" && parts.Parts > MessageText.MaxParts)
        {
            body.Add(ApiErrors.Invalid(body.Pointer("text"),
                $"the text needs {parts.Parts} parts as {parts.Encoding} ({parts.NumChars} characters); at most {MessageText.MaxParts} are sent"));
        }

        return (text, subject, media, type, type == "MMS" ? parts with { Parts = 1 } : parts);
    }

    /// <summary>The sending number and its messaging profile: <c>from</c> must be a number of the account on a profile; without it, the profile's first number sends.</summary>
    private static async ValueTask<(string From, MessagingProfileResource Profile)> ResolveSenderAsync(IWorkReader reader, SendRequest request)
    {
        MessagingProfileResource? profile = null;
        if (request.ProfileId is { } profileId)
        {
            profile = await MessagingProfiles.FindAsync(reader, profileId)
                ?? throw new ApiException(422, ApiErrors.NoSuchAssociated("/messaging_profile_id", "messaging profile", profileId));
        }

        string from;
        if (request.From is { } sender && E164.IsValid(sender))
        {
            var number = await PhoneNumbers.FindAsync(reader, sender)
                ?? throw new ApiException(422, ApiErrors.Invalid("/from", $"{sender} is not a number of this account; order it first (POST /v2/number_orders)"));
            if (number.MessagingProfileId is null)
            {
                throw new ApiException(422, ApiErrors.Invalid("/from",
                    $"{sender} is on no messaging profile; assign one (PATCH /v2/phone_numbers/{number.Id}/messaging with messaging_profile_id)"));
            }

            if (profile is not null && profile.Id != number.MessagingProfileId)
            {
                throw new ApiException(422, ApiErrors.Invalid("/messaging_profile_id",
                    $"{sender} belongs to messaging profile '{number.MessagingProfileId}', not '{profile.Id}'"));
            }

            profile ??= await MessagingProfiles.FindAsync(reader, number.MessagingProfileId)
                ?? throw new ApiException(422, ApiErrors.NoSuchAssociated("/from", "messaging profile", number.MessagingProfileId));
            from = sender;
        }
        else if (profile is null)
        {
            throw new ApiException(422, ApiErrors.Missing("/messaging_profile_id"));
        }
        else if (request.From is { } alphanumeric)
        {
            from = alphanumeric;
        }
        else
        {
            var (numbers, _) = await Resources.ListAsync(reader, ResourceKinds.PhoneNumber, 1, 1, owner: profile.Id);
            from = numbers.Count > 0 ? numbers[0].Lookup! : throw new ApiException(422, ApiErrors.Invalid("/messaging_profile_id",
                $"messaging profile '{profile.Id}' has no numbers to send from; give from, or assign a number to the profile"));
        }

        if (!profile.Enabled)
        {
            throw new ApiException(422, ApiErrors.Invalid("/messaging_profile_id", $"messaging profile '{profile.Id}' is disabled (enabled: false)"));
        }

        return (from, profile);
    }

    private static string? ContentType(string url)
    {
        var path = Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.AbsolutePath : url;
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jpg" or ".jpeg" => "image/jpeg",
            ".png" => "image/png",
            ".gif" => "image/gif",
            ".mp4" => "video/mp4",
            ".mp3" => "audio/mpeg",
            ".pdf" => "application/pdf",
            ".vcf" => "text/vcard",
            _ => null,
        };
    }

    [GeneratedRegex("^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")]
    private static partial Regex AlphanumericSender();
}
