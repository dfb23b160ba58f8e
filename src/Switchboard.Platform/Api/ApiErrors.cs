using System.Text.Json.Serialization;

namespace Switchboard.Platform.Api;

/// <summary>One entry of Telnyx's error shape: <c>{"code", "title", "detail", "source": {"pointer"}}</c>.</summary>
public sealed record ApiError(
    string Code,
    string Title,
    string? Detail,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ApiErrorSource? Source = null)
{
    public static ApiError At(string pointer, string code, string title, string detail) => new(code, title, detail, new ApiErrorSource(pointer, null));

    public static ApiError InParameter(string parameter, string code, string title, string detail) => new(code, title, detail, new ApiErrorSource(null, parameter));
}

/// <summary>Where an error points: a JSON pointer into the request body, or a query parameter.</summary>
public sealed record ApiErrorSource(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Pointer,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Parameter);

/// <summary>The body of every error answer: <c>{"errors": [...]}</c>.</summary>
public sealed record ApiErrorsBody(IReadOnlyList<ApiError> Errors);

/// <summary>
/// A request the platform refuses, with the HTTP status and every error found. Thrown by the services the API and the
/// dashboard share, and turned into Telnyx's error shape at the edge; nothing of the request has been stored.
/// </summary>
public sealed class ApiException(int status, IReadOnlyList<ApiError> errors)
    : Exception(string.Join("; ", errors.Select(e => e.Detail ?? e.Title)))
{
    public int Status { get; } = status;

    public IReadOnlyList<ApiError> Errors { get; } = errors;

    public ApiException(int status, ApiError error) : this(status, [error])
    {
    }
}

/// <summary>
/// Telnyx's error codes (its API error catalogue, 10xxx) where Telnyx has one for the case; the detail says what exactly
/// is wrong. Validation of a well-formed request answers 422, a body that is not JSON 400, as Telnyx does.
/// </summary>
public static class ApiErrors
{
    public const string InvalidPhoneNumberCode = "10002";
    public const string InvalidUrlCode = "10003";
    public const string MissingParameterCode = "10004";
    public const string NotFoundCode = "10005";
    public const string AuthenticationFailedCode = "10009";
    public const string DuplicateCode = "10012";
    public const string UnsupportedMediaTypeCode = "10014";
    public const string BadRequestCode = "10015";
    public const string NotE164Code = "10016";
    public const string AssociatedResourceMissingCode = "10017";
    public const string InUseCode = "10021";
    public const string InvalidJsonCode = "10023";

    /// <summary>Telnyx's "Unexpected error": the code its API gives beside a 5xx status.</summary>
    internal const string UnexpectedErrorCode = "10007";

    /// <summary>How long a client is told to wait (<c>Retry-After</c>, seconds) when the database is briefly unavailable.</summary>
    internal const int RetryAfterSeconds = 1;

    public static ApiException Unauthorized(string detail) =>
        new(401, new ApiError(AuthenticationFailedCode, "Authentication failed", detail));

    public static ApiException NotFound(string what, string id) =>
        new(404, new ApiError(NotFoundCode, "Resource not found", $"{what} '{Printable(id)}' does not exist"));

    /// <summary>
    /// The database is briefly unavailable (a restart, a failover, a lost connection): 503, to be tried again. A write
    /// cut off at its commit may still have been stored, as with any request whose answer is lost.
    /// </summary>
    internal static ApiException Unavailable() =>
        new(503, new ApiError(UnexpectedErrorCode, "Service unavailable",
            $"the platform's database is briefly unavailable; try again in {RetryAfterSeconds} s (GET /healthz says when it is back)"));

    /// <summary>
    /// What the request changes was changed by other requests each time it was applied (planned again, a few times):
    /// nothing of it is stored; 503, to be tried again.
    /// </summary>
    internal static ApiException Contended() =>
        new(503, new ApiError(UnexpectedErrorCode, "Service unavailable",
            $"other requests kept changing what this one changes while it was applied; nothing of it is stored; try again in {RetryAfterSeconds} s"));

    public static ApiError Missing(string pointer) =>
        ApiError.At(pointer, MissingParameterCode, "Missing required parameter", $"{Name(pointer)} is required");

    public static ApiError Invalid(string pointer, string detail) =>
        ApiError.At(pointer, BadRequestCode, "Invalid parameter", detail);

    public static ApiError NotE164(string pointer, string value) =>
        ApiError.At(pointer, NotE164Code, "Phone number must be in +E.164 format",
            $"{Name(pointer)} '{Printable(value)}' is not a +E.164 number (a '+', the country code and the number, digits only, e.g. +18445550001)");

    public static ApiError InvalidUrl(string pointer, string detail) =>
        ApiError.At(pointer, InvalidUrlCode, "Invalid URL", detail);

    /// <summary>A <c>filter[...]</c> value with a NUL character, which PostgreSQL takes in no text parameter.</summary>
    public static ApiError NulInFilter(string parameter) =>
        ApiError.InParameter(parameter, BadRequestCode, "Invalid filter", $"{parameter} must not contain a NUL character (%00)");

    public static ApiError NoSuchAssociated(string pointer, string what, string id) =>
        ApiError.At(pointer, AssociatedResourceMissingCode, "Associated resource does not exist", $"{what} '{Printable(id)}' does not exist");

    /// <summary>A value echoed into an error: cut short, and with control characters replaced, so an error never carries a page of input.</summary>
    public static string Printable(string value)
    {
        const int Max = 80;
        var cut = value.Length > Max ? value[..Max] + "…" : value;
        return string.Create(cut.Length, cut, static (span, text) =>
        {
            for (var i = 0; i < text.Length; i++)
            {
                span[i] = char.IsControl(text[i]) || char.GetUnicodeCategory(text[i]) == System.Globalization.UnicodeCategory.Format ? '?' : text[i];
            }
        });
    }

    /// <summary><c>/to</c> → <c>to</c>, <c>/phone_numbers/0/phone_number</c> → <c>phone_numbers[0].phone_number</c>.</summary>
    private static string Name(string pointer)
    {
        var parts = pointer.Trim('/').Split('/');
        var name = parts[0];
        foreach (var part in parts.Skip(1))
        {
            name += int.TryParse(part, out _) ? $"[{part}]" : $".{part}";
        }

        return name.Length == 0 ? "the body" : name;
    }
}
