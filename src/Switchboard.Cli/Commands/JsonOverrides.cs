using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchboard.Cli.Commands;

/// <summary>
/// Applies <c>--set</c> overrides to a JSON document: <c>PATH=VALUE</c> sets a string,
/// <c>PATH:=JSON</c> sets any JSON value (<c>data.payload.parts:=3</c>). Paths are dot-separated; a
/// numeric segment indexes an array (<c>data.payload.to.0.status=delivered</c>). Missing objects are created.
/// </summary>
internal static class JsonOverrides
{
    public static bool TryApply(JsonNode root, string assignment, [NotNullWhen(false)] out string? error)
    {
        var equals = assignment.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            error = $"'{assignment}' is not PATH=VALUE or PATH:=JSON";
            return false;
        }

        var isJson = assignment[equals - 1] == ':';
        var path = assignment[..(isJson ? equals - 1 : equals)];
        var text = assignment[(equals + 1)..];
        JsonNode? value;
        if (isJson)
        {
            try
            {
                value = JsonNode.Parse(text);
            }
            catch (JsonException ex)
            {
                error = $"'{path}': the value after ':=' is not JSON ({ex.Message})";
                return false;
            }
        }
        else
        {
            value = JsonValue.Create(text);
        }

        var segments = path.Split('.');
        if (segments.Any(s => s.Length == 0))
        {
            error = $"'{path}': the path has an empty segment; paths look like data.payload.text";
            return false;
        }

        var node = root;
        for (var i = 0; i < segments.Length; i++)
        {
            var last = i == segments.Length - 1;
            var segment = segments[i];
            switch (node)
            {
                case JsonArray array when int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index):
                    if (index >= array.Count)
                    {
                        error = $"'{path}': index {index} is past the end of an array of {array.Count}";
                        return false;
                    }

                    if (last)
                    {
                        array[index] = value;
                    }
                    else
                    {
                        node = array[index] ??= new JsonObject();
                    }

                    break;
                case JsonObject obj:
                    if (last)
                    {
                        obj[segment] = value;
                    }
                    else
                    {
                        node = obj[segment] ??= new JsonObject();
                    }

                    break;
                default:
                    error = $"'{path}': '{string.Join('.', segments[..i])}' is not an object or array";
                    return false;
            }
        }

        error = null;
        return true;
    }
}
