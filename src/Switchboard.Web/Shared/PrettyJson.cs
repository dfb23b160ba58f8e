using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Switchboard.Web.Shared;

/// <summary>JSON indented for reading, characters as they are (the page encodes them for HTML); text that is not JSON comes back as it is.</summary>
internal static class PrettyJson
{
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Format(JsonElement element)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            element.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string Format(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
            return Format(document.RootElement);
        }
        catch (JsonException)
        {
            return text;
        }
    }
}
