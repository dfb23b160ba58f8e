using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Platform;

/// <summary>Ids in the forms Telnyx uses, and the one emulated account.</summary>
public static class PlatformIdentity
{
    /// <summary>The organization every resource of the emulated account belongs to.</summary>
    public const string OrganizationId = "5a3b2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d";

    /// <summary>A random UUID, as Telnyx's resource and event ids are.</summary>
    public static string NewId() => Guid.NewGuid().ToString();

    /// <summary>A phone number record id: Telnyx's are long decimal strings.</summary>
    public static string NewNumberId() => string.Concat("1", RandomNumberGenerator.GetInt32(100_000_000, 999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture),
        RandomNumberGenerator.GetInt32(100_000_000, 999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// The id of an event the platform emits for a resource, the same each time it is computed: a lifecycle step that
    /// runs again after a crash publishes the same event id, which the outbox stores once. A UUID of version 8 (RFC 9562:
    /// its bits derived, here from SHA-256 of the resource id and the event's name).
    /// </summary>
    public static string EventId(string resourceId, string eventName)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{resourceId}/{eventName}"), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true).ToString();
    }
}
