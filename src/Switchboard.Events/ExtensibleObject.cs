using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switchboard.Events;

/// <summary>
/// Base of every JSON object in the model: members this version does not know are kept here on parse and
/// written back on serialisation, so a newer Telnyx field survives a round trip.
/// </summary>
public abstract class ExtensibleObject
{
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
