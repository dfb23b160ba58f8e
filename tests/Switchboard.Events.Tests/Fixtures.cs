using System.Text;
using System.Text.Json;

namespace Switchboard.Events.Tests;

/// <summary>Webhook bodies as Telnyx sends them, one file per event type under Fixtures/.</summary>
internal static class Fixtures
{
    public static byte[] Bytes(string eventType) =>
        File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", eventType + ".json"));

    public static WebhookEnvelope Load(string eventType) => Parse(Bytes(eventType));

    public static WebhookEnvelope Parse(string json) => Parse(Encoding.UTF8.GetBytes(json));

    public static WebhookEnvelope Parse(byte[] utf8)
    {
        Assert.True(WebhookEnvelope.TryParse(utf8, out var envelope, out var error), error);
        return envelope;
    }

    public static JsonElement Json(byte[] utf8) => JsonDocument.Parse(utf8).RootElement;

    public static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement;
}
