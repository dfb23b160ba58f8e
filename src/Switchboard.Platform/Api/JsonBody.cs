using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Switchboard.Platform.Api;

/// <summary>
/// A request body read field by field, so every problem is reported with a JSON pointer to it (<c>/to</c>,
/// <c>/phone_numbers/0/phone_number</c>) and all problems at once. Accessors record what is wrong and return null;
/// <see cref="ThrowIfInvalid"/> then refuses the request with every error found. Unknown fields are ignored, as Telnyx does.
/// </summary>
public sealed class JsonBody
{
    /// <summary>The largest request body the API reads.</summary>
    public const int MaxBytes = 1024 * 1024;

    private readonly JsonElement _root;
    private readonly string _prefix;
    private readonly List<ApiError> _errors;

    public JsonBody(JsonElement root) : this(root, "", [])
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ApiException(400, new ApiError(ApiErrors.InvalidJsonCode, "Invalid JSON", "the body must be a JSON object"));
        }
    }

    private JsonBody(JsonElement root, string prefix, List<ApiError> errors)
    {
        _root = root;
        _prefix = prefix;
        _errors = errors;
    }

    /// <summary>An empty object, for requests whose fields are all optional.</summary>
    public static JsonBody Empty { get; } = new(JsonDocument.Parse("{}").RootElement.Clone());

    public IReadOnlyList<ApiError> Errors => _errors;

    /// <summary>Reads a JSON object body of at most <see cref="MaxBytes"/>: 415 if it is not JSON, 413 if too large, 400 if malformed (not UTF-8, a field given twice).</summary>
    public static async Task<JsonBody> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            || !(type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)))
        {
            throw new ApiException(415, new ApiError(ApiErrors.UnsupportedMediaTypeCode, "Unsupported Media Type",
                $"the body must be JSON (Content-Type: application/json); got '{ApiErrors.Printable(request.ContentType ?? "(none)")}'"));
        }

        if (request.ContentLength > MaxBytes)
        {
            throw TooLarge();
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                throw TooLarge();
            }

            buffer.Write(chunk, 0, read);
        }

        // JSON text is UTF-8 (RFC 8259); the parser checks its syntax but leaves the bytes of strings to whoever reads them.
        if (!System.Text.Unicode.Utf8.IsValid(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))
        {
            throw new ApiException(400, new ApiError(ApiErrors.InvalidJsonCode, "Invalid JSON", "the body is not valid UTF-8"));
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 32, AllowDuplicateProperties = false });
            return new JsonBody(document.RootElement.Clone());
        }
        catch (JsonException ex)
        {
            throw new ApiException(400, new ApiError(ApiErrors.InvalidJsonCode, "Invalid JSON", $"the body is not valid JSON: {ex.Message}"));
        }

        static ApiException TooLarge() =>
            new(413, new ApiError(ApiErrors.BadRequestCode, "Request too large", $"the body is larger than {MaxBytes} bytes"));
    }

    public string Pointer(string name) => $"{_prefix}/{name}";

    public bool Has(string name) => _root.TryGetProperty(name, out _);

    /// <summary>Present and JSON <c>null</c> (a PATCH that clears the field).</summary>
    public bool IsNull(string name) => _root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Null;

    public void Add(ApiError error) => _errors.Add(error);

    public void ThrowIfInvalid(int status = 422)
    {
        if (_errors.Count > 0)
        {
            throw new ApiException(status, [.. _errors]);
        }
    }

    public string? String(string name, bool required = false, int maxLength = 2048)
    {
        if (!_root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                _errors.Add(ApiErrors.Missing(Pointer(name)));
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            _errors.Add(ApiErrors.Invalid(Pointer(name), $"{name} must be a string; got {Describe(value)}"));
            return null;
        }

        if (Text(value) is not { } text)
        {
            _errors.Add(ApiErrors.Invalid(Pointer(name), $"{name} must be text without NUL characters (\\u0000) or unpaired surrogate escapes"));
            return null;
        }

        if (required && text.Length == 0)
        {
            _errors.Add(ApiErrors.Missing(Pointer(name)));
            return null;
        }

        if (text.Length > maxLength)
        {
            _errors.Add(ApiErrors.Invalid(Pointer(name), $"{name} is {text.Length} characters long; at most {maxLength} are allowed"));
            return null;
        }

        return text;
    }

    public bool? Bool(string name)
    {
        if (!_root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }

        _errors.Add(ApiErrors.Invalid(Pointer(name), $"{name} must be true or false; got {Describe(value)}"));
        return null;
    }

    public int? Int(string name, int min, int max)
    {
        if (!_root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= min && number <= max)
        {
            return number;
        }

        _errors.Add(ApiErrors.Invalid(Pointer(name), $"{name} must be a whole number from {min} to {max}; got {Describe(value)}"));
        return null;
    }

    public IReadOnlyList<string>? Strings(string name, int maxItems, int maxLength = 2048)
    {
        if (!_root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            _errors.Add(ApiErrors.Invalid(Pointer(name), $"{name} must be an array of strings; got {Describe(value)}"));
            return null;
        }

        if (value.GetArrayLength() > maxItems)
        {
            _errors.Add(ApiErrors.Invalid(Pointer(name), $"{name} has {value.GetArrayLength()} items; at most {maxItems} are allowed"));
            return null;
        }

        var items = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || Text(item) is not { } text || text.Length > maxLength)
            {
                _errors.Add(ApiErrors.Invalid($"{Pointer(name)}/{index}", $"{name}[{index}] must be a string of at most {maxLength} characters, without NUL characters or unpaired surrogate escapes"));
                return null;
            }

            items.Add(text);
            index++;
        }

        return items;
    }

    /// <summary>An object field, read with pointers under it (<c>/call_forwarding/...</c>); null when absent or null.</summary>
    public JsonBody? Object(string name)
    {
        if (!_root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            _errors.Add(ApiErrors.Invalid(Pointer(name), $"{name} must be an object; got {Describe(value)}"));
            return null;
        }

        return new JsonBody(value, Pointer(name), _errors);
    }

    /// <summary>The objects of an array field, each read with pointers under it (<c>/phone_numbers/0/...</c>).</summary>
    public IReadOnlyList<JsonBody>? Objects(string name, int maxItems, bool required = false)
    {
        if (!_root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                _errors.Add(ApiErrors.Missing(Pointer(name)));
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > maxItems || (required && value.GetArrayLength() == 0))
        {
            _errors.Add(ApiErrors.Invalid(Pointer(name), $"{name} must be an array of 1 to {maxItems} objects"));
            return null;
        }

        var items = new List<JsonBody>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                _errors.Add(ApiErrors.Invalid($"{Pointer(name)}/{index}", $"{name}[{index}] must be an object"));
                return null;
            }

            items.Add(new JsonBody(item, $"{Pointer(name)}/{index}", _errors));
            index++;
        }

        return items;
    }

    /// <summary>
    /// A string's text; null if it is none the platform keeps: <c>"\ud800"</c> is valid JSON, but an unpaired surrogate is
    /// no text, and PostgreSQL stores no NUL character (<c>"\u0000"</c>) in a text column.
    /// </summary>
    private static string? Text(JsonElement value)
    {
        try
        {
            var text = value.GetString()!;
            return text.Contains('\0', StringComparison.Ordinal) ? null : text;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };
}
