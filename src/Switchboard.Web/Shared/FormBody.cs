using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Switchboard.Platform.Api;

namespace Switchboard.Web.Shared;

/// <summary>How a form field becomes a JSON field of the API request it stands for.</summary>
internal enum FormField
{
    /// <summary>A string; left out when empty.</summary>
    Text,
    /// <summary>A string; <c>null</c> when empty (an update that clears the field).</summary>
    TextOrNull,
    /// <summary>Comma-separated values as an array of strings; left out when empty.</summary>
    List,
    /// <summary>A whole number; left out when empty; other text is passed as it is, for the API's own check to refuse.</summary>
    Integer,
}

/// <summary>
/// Reads a page's form into the JSON body its API request would carry, so the page calls the same service method
/// with the same checks and the same error messages as <c>/v2</c>.
/// </summary>
internal static class FormBody
{
    /// <summary>The largest form the pages read; their forms are a few short fields.</summary>
    public const int MaxBytes = 64 * 1024;

    public static async Task<IFormCollection> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType)
        {
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType, new ApiError(ApiErrors.UnsupportedMediaTypeCode, "Unsupported Media Type", "the pages' actions take a form"));
        }

        if (request.ContentLength is null or > MaxBytes)
        {
            throw new ApiException(StatusCodes.Status413PayloadTooLarge, new ApiError(ApiErrors.BadRequestCode, "Request too large", $"a form of these pages is at most {MaxBytes} bytes, with its length given"));
        }

        return await request.ReadFormAsync(cancellationToken);
    }

    public static JsonBody ToJson(IFormCollection form, params (string Name, FormField Kind)[] fields) => Body(ToObject(form, fields));

    public static JsonBody Body(JsonObject json)
    {
        using var document = JsonDocument.Parse(json.ToJsonString());
        return new JsonBody(document.RootElement.Clone());
    }

    public static JsonObject ToObject(IFormCollection form, params (string Name, FormField Kind)[] fields)
    {
        var json = new JsonObject();
        foreach (var (name, kind) in fields)
        {
            var value = form[name].ToString().Trim();
            switch (kind)
            {
                case FormField.TextOrNull:
                    json[name] = value.Length == 0 ? null : value;
                    break;
                case FormField.List when value.Length > 0:
                    json[name] = new JsonArray([.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => (JsonNode)v)]);
                    break;
                case FormField.Integer when value.Length > 0:
                    json[name] = long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number : value;
                    break;
                case FormField.Text when value.Length > 0:
                    json[name] = value;
                    break;
            }
        }

        return json;
    }
}
