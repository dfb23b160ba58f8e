namespace Switchboard.Signing;

/// <summary>
/// Read access to a request's headers, looked up case-insensitively. Implemented by a struct adapter in
/// the ASP.NET Core receiver so verification neither copies nor boxes the headers.
/// </summary>
public interface IWebhookHeaders
{
    /// <summary>The header's value, or null when it is absent.</summary>
    string? Get(string name);
}

/// <summary>A plain header collection with case-insensitive names (CLI, tests, the delivery engine).</summary>
public sealed class WebhookHeaders : IWebhookHeaders
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);

    public WebhookHeaders()
    {
    }

    public WebhookHeaders(IEnumerable<KeyValuePair<string, string>> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        foreach (var (name, value) in headers)
        {
            _values[name] = value;
        }
    }

    public string? Get(string name) => _values.GetValueOrDefault(name);

    public WebhookHeaders Set(string name, string value)
    {
        _values[name] = value;
        return this;
    }

    public IReadOnlyDictionary<string, string> AsDictionary() => _values;
}

/// <summary>Header names of the Telnyx scheme (Ed25519) and the seed-compatible HMAC scheme.</summary>
public static class TelnyxHeaders
{
    public const string Signature = "telnyx-signature-ed25519";
    public const string Timestamp = "telnyx-timestamp";
}

/// <summary>Header names of Standard Webhooks.</summary>
public static class StandardWebhooksHeaders
{
    public const string Id = "webhook-id";
    public const string Timestamp = "webhook-timestamp";
    public const string Signature = "webhook-signature";
}
