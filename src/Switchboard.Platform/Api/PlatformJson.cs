using System.Text.Json;
using System.Text.Json.Serialization;
using Switchboard.Delivery.Outbox;
using Switchboard.Events;
using Switchboard.Platform.Calls;
using Switchboard.Platform.Lifecycle;
using Switchboard.Platform.Messaging;
using Switchboard.Platform.Numbers;
using Switchboard.Platform.Webhooks;

namespace Switchboard.Platform.Api;

/// <summary>A single resource: <c>{"data": {...}}</c>.</summary>
public sealed record ApiData<T>(T Data);

/// <summary>A page of resources: <c>{"data": [...], "meta": {page_number, page_size, total_pages, total_results}}</c>.</summary>
public sealed record ApiList<T>(IReadOnlyList<T> Data, PageMeta Meta);

public sealed record PageMeta(int PageNumber, int PageSize, int TotalPages, long TotalResults)
{
    public static PageMeta Of(int pageNumber, int pageSize, long total) =>
        new(pageNumber, pageSize, (int)((total + pageSize - 1) / pageSize), total);
}

/// <summary>
/// The API's JSON: snake_case as Telnyx writes it, nulls written (Telnyx sends <c>"webhook_url": null</c>), times in UTC
/// with milliseconds. Stored resources use the same shapes.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    UseStringEnumConverter = true,
    Converters = [typeof(UtcMillisecondsConverter)])]
[JsonSerializable(typeof(ApiErrorsBody))]
[JsonSerializable(typeof(MessagingProfileResource))]
[JsonSerializable(typeof(ApiData<MessagingProfileResource>))]
[JsonSerializable(typeof(ApiList<MessagingProfileResource>))]
[JsonSerializable(typeof(PhoneNumberResource))]
[JsonSerializable(typeof(ApiData<PhoneNumberResource>))]
[JsonSerializable(typeof(ApiList<PhoneNumberResource>))]
[JsonSerializable(typeof(ApiData<DeletedPhoneNumber>))]
[JsonSerializable(typeof(ApiData<PhoneNumberMessagingSettings>))]
[JsonSerializable(typeof(NumberOrderResource))]
[JsonSerializable(typeof(ApiData<NumberOrderResource>))]
[JsonSerializable(typeof(StoredNumberOrder))]
[JsonSerializable(typeof(ApiList<NumberOrderListItem>))]
[JsonSerializable(typeof(AvailablePhoneNumbersList))]
[JsonSerializable(typeof(ApiList<PhoneNumberMessagingSettings>))]
[JsonSerializable(typeof(StoredVoiceSettings))]
[JsonSerializable(typeof(ApiData<PhoneNumberVoiceSettings>))]
[JsonSerializable(typeof(ApiData<RecordingRecord>))]
[JsonSerializable(typeof(ApiList<RecordingRecord>))]
[JsonSerializable(typeof(StatusResult))]
[JsonSerializable(typeof(StoredMessage))]
[JsonSerializable(typeof(ApiData<WebhookDeliveryRecord>))]
[JsonSerializable(typeof(ApiList<WebhookDeliveryRecord>))]
[JsonSerializable(typeof(GlobalWebhooks))]
[JsonSerializable(typeof(ApiData<GlobalWebhooks>))]
[JsonSerializable(typeof(ApiData<RedeliveryResult>))]
[JsonSerializable(typeof(LifecycleStep))]
[JsonSerializable(typeof(CallControlApplicationResource))]
[JsonSerializable(typeof(ApiData<CallControlApplicationResource>))]
[JsonSerializable(typeof(ApiList<CallControlApplicationResource>))]
[JsonSerializable(typeof(StoredCall))]
[JsonSerializable(typeof(RecordingResource))]
[JsonSerializable(typeof(ApiData<CallStatus>))]
[JsonSerializable(typeof(ApiData<CommandResult>))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(string))]
public sealed partial class PlatformJson : JsonSerializerContext
{
    /// <summary>The API's settings with <see cref="EventJson.WireEncoder"/>: <c>+</c> and <c>&amp;</c> as written, not <c>\u002B</c>.</summary>
    public static PlatformJson Wire => field ??= new(new JsonSerializerOptions(Default.Options) { Encoder = EventJson.WireEncoder });
}
