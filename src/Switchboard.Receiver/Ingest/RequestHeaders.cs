using Microsoft.AspNetCore.Http;
using Switchboard.Signing;

namespace Switchboard.Receiver.Ingest;

/// <summary>Verification reads ASP.NET Core's headers in place: no copy, no boxing (a struct).</summary>
internal readonly struct RequestHeaders(IHeaderDictionary headers) : IWebhookHeaders
{
    public string? Get(string name) => headers.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    /// <summary>A copy of every header, for the inbox record.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Snapshot()
    {
        var list = new List<KeyValuePair<string, string>>(headers.Count);
        foreach (var (name, values) in headers)
        {
            list.Add(new(name, values.ToString()));
        }

        return list;
    }
}
