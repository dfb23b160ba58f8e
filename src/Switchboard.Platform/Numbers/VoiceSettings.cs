using System.Text.Json.Serialization;
using Switchboard.Platform.Api;

namespace Switchboard.Platform.Numbers;

/// <summary>
/// A number's voice settings that its phone-number record has no field for, stored beside it (kind
/// <c>number_voice</c>, the number's id). The emulator keeps and returns them; it does not act on them. The four flags
/// the record has (call forwarding, CNAM listing, caller id name, inbound recording) stay on the record.
/// </summary>
public sealed class StoredVoiceSettings
{
    public string? ForwardingType { get; set; }
    public string? ForwardsTo { get; set; }
    public string RecordingChannels { get; set; } = "single";
    public string RecordingFormat { get; set; } = "wav";
    public string? CnamListingDetails { get; set; }
    public string InboundCallScreening { get; set; } = "disabled";
    public bool AcceptAnyRtpPacketsEnabled { get; set; }
    public bool RtpAutoAdjustEnabled { get; set; } = true;
    public bool T38FaxGatewayEnabled { get; set; }
    public bool TechPrefixEnabled { get; set; }
    public string TranslatedNumber { get; set; } = "";
    public string UsagePaymentMethod { get; set; } = "pay-per-minute";

    private static readonly string[] ForwardingTypes = ["always", "on-failure"];
    private static readonly string[] Channels = ["single", "dual"];
    private static readonly string[] Formats = ["wav", "mp3"];
    private static readonly string[] Screenings = ["disabled", "reject_calls", "flag_calls"];
    private static readonly string[] PaymentMethods = ["pay-per-minute", "channel"];

    /// <summary>
    /// Reads <c>PATCH /phone_numbers/{id}/voice</c> (the spec's <c>UpdatePhoneNumberVoiceSettingsRequest</c>; fields it
    /// does not name are ignored) and refuses it, 422, if a value is wrong. Returns what applies it, inside the write.
    /// </summary>
    public static Action<PhoneNumberResource, StoredVoiceSettings> Parse(JsonBody body)
    {
        var changes = new List<Action<PhoneNumberResource, StoredVoiceSettings>>();
        if (body.Object("call_forwarding") is { } forwarding)
        {
            Flag(forwarding, "call_forwarding_enabled", (n, _, v) => n.CallForwardingEnabled = v);
            Choice(forwarding, "forwarding_type", ForwardingTypes, (_, s, v) => s.ForwardingType = v);
            if (forwarding.Has("forwards_to"))
            {
                var to = forwarding.String("forwards_to", maxLength: 32);
                if (to is { Length: > 0 } && !E164.IsValid(to))
                {
                    forwarding.Add(ApiErrors.NotE164(forwarding.Pointer("forwards_to"), to));
                }

                changes.Add((_, s) => s.ForwardsTo = string.IsNullOrEmpty(to) ? null : to);
            }
        }

        if (body.Object("call_recording") is { } recording)
        {
            Choice(recording, "inbound_call_recording_channels", Channels, (_, s, v) => s.RecordingChannels = v);
            Flag(recording, "inbound_call_recording_enabled", (n, _, v) => n.CallRecordingEnabled = v);
            Choice(recording, "inbound_call_recording_format", Formats, (_, s, v) => s.RecordingFormat = v);
        }

        if (body.Object("cnam_listing") is { } cnam)
        {
            if (cnam.Has("cnam_listing_details"))
            {
                var details = cnam.String("cnam_listing_details", maxLength: 255);
                changes.Add((_, s) => s.CnamListingDetails = details);
            }

            Flag(cnam, "cnam_listing_enabled", (n, _, v) => n.CnamListingEnabled = v);
        }

        if (body.Object("media_features") is { } media)
        {
            Flag(media, "accept_any_rtp_packets_enabled", (_, s, v) => s.AcceptAnyRtpPacketsEnabled = v);
            Flag(media, "rtp_auto_adjust_enabled", (_, s, v) => s.RtpAutoAdjustEnabled = v);
            Flag(media, "t38_fax_gateway_enabled", (_, s, v) => s.T38FaxGatewayEnabled = v);
        }

        Flag(body, "caller_id_name_enabled", (n, _, v) => n.CallerIdNameEnabled = v);
        Choice(body, "inbound_call_screening", Screenings, (_, s, v) => s.InboundCallScreening = v);
        Flag(body, "tech_prefix_enabled", (_, s, v) => s.TechPrefixEnabled = v);
        Choice(body, "usage_payment_method", PaymentMethods, (_, s, v) => s.UsagePaymentMethod = v);
        if (body.String("translated_number", maxLength: 32) is { } translated)
        {
            if (!translated.All(c => char.IsAsciiLetterOrDigit(c) || c == '+'))
            {
                body.Add(ApiErrors.Invalid(body.Pointer("translated_number"), "translated_number must be letters and digits (a leading + allowed)"));
            }

            changes.Add((_, s) => s.TranslatedNumber = translated);
        }

        body.ThrowIfInvalid();
        return (number, settings) => changes.ForEach(change => change(number, settings));

        void Flag(JsonBody part, string name, Action<PhoneNumberResource, StoredVoiceSettings, bool> set)
        {
            if (part.Bool(name) is { } value)
            {
                changes.Add((n, s) => set(n, s, value));
            }
        }

        void Choice(JsonBody part, string name, string[] allowed, Action<PhoneNumberResource, StoredVoiceSettings, string> set)
        {
            if (part.String(name, maxLength: 32) is not { } value)
            {
                return;
            }

            if (!allowed.Contains(value))
            {
                part.Add(ApiErrors.Invalid(part.Pointer(name), $"{name} must be one of {string.Join(", ", allowed)}; got '{ApiErrors.Printable(value)}'"));
            }

            changes.Add((n, s) => set(n, s, value));
        }
    }
}

/// <summary>A number with its voice settings, as <c>/phone_numbers/{id}/voice</c> answers (<c>PhoneNumberWithVoiceSettings</c>).</summary>
public sealed record PhoneNumberVoiceSettings
{
    public required string Id { get; init; }
    public required string PhoneNumber { get; init; }
    public string RecordType => "voice_settings";
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ConnectionId { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CustomerReference { get; init; }
    public required VoiceCallForwarding CallForwarding { get; init; }
    public required VoiceCallRecording CallRecording { get; init; }
    public required VoiceCnamListing CnamListing { get; init; }
    public required VoiceEmergency Emergency { get; init; }
    public required string InboundCallScreening { get; init; }
    public required VoiceMediaFeatures MediaFeatures { get; init; }
    public required bool TechPrefixEnabled { get; init; }
    public required string TranslatedNumber { get; init; }
    public required string UsagePaymentMethod { get; init; }

    public static PhoneNumberVoiceSettings From(PhoneNumberResource number, StoredVoiceSettings settings) => new()
    {
        Id = number.Id,
        PhoneNumber = number.PhoneNumber,
        ConnectionId = number.ConnectionId,
        CustomerReference = number.CustomerReference,
        CallForwarding = new(number.CallForwardingEnabled, settings.ForwardingType, settings.ForwardsTo),
        CallRecording = new(settings.RecordingChannels, number.CallRecordingEnabled, settings.RecordingFormat),
        CnamListing = new(settings.CnamListingDetails, number.CnamListingEnabled),
        Emergency = new(number.EmergencyEnabled, number.EmergencyEnabled ? "active" : "disabled"),
        InboundCallScreening = settings.InboundCallScreening,
        MediaFeatures = new(settings.AcceptAnyRtpPacketsEnabled, settings.RtpAutoAdjustEnabled, settings.T38FaxGatewayEnabled),
        TechPrefixEnabled = settings.TechPrefixEnabled,
        TranslatedNumber = settings.TranslatedNumber,
        UsagePaymentMethod = settings.UsagePaymentMethod,
    };
}

public sealed record VoiceCallForwarding(
    bool CallForwardingEnabled,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ForwardingType,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ForwardsTo);

public sealed record VoiceCallRecording(string InboundCallRecordingChannels, bool InboundCallRecordingEnabled, string InboundCallRecordingFormat);

public sealed record VoiceCnamListing([property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CnamListingDetails, bool CnamListingEnabled);

public sealed record VoiceEmergency(bool EmergencyEnabled, string EmergencyStatus);

public sealed record VoiceMediaFeatures(bool AcceptAnyRtpPacketsEnabled, bool RtpAutoAdjustEnabled, bool T38FaxGatewayEnabled);
