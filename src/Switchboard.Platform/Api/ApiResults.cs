using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Switchboard.Platform.Api;

/// <summary>The API's answers: one resource as <c>{"data"}</c>, a page as <c>{"data", "meta"}</c>, errors as <c>{"errors"}</c>.</summary>
internal static class ApiResults
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 250;

    public static IResult Data<T>(T data, int status = StatusCodes.Status200OK) =>
        Results.Json(new ApiData<T>(data), PlatformJson.Wire.Options, statusCode: status);

    public static IResult List<T>(IReadOnlyList<T> items, Paging paging, long total) =>
        Results.Json(new ApiList<T>(items, PageMeta.Of(paging.Number, paging.Size, total)), PlatformJson.Wire.Options);

    /// <summary>
    /// A message as <c>{"data": {...}}</c>, written exactly as its webhooks carry it (the events' serialisation, nulls
    /// left out), so the API and the events never disagree on a message's shape.
    /// </summary>
    public static IResult Message(Events.MessagePayload message) => new MessageResult(message);

    public static IResult Error(ApiException error) =>
        Results.Json(new ApiErrorsBody(error.Errors), PlatformJson.Wire.ApiErrorsBody, statusCode: error.Status);

    /// <summary>
    /// Telnyx's paging parameters, <c>page[number]</c> (from 1) and <c>page[size]</c> (1 to 250, default 20); refused
    /// with <paramref name="invalidStatus"/>, the status the spec declares for the list (400 for most, 422 for some).
    /// </summary>
    public static Paging ReadPaging(HttpRequest request, int invalidStatus = StatusCodes.Status400BadRequest)
    {
        var errors = new List<ApiError>();
        var number = Read("page[number]", 1, int.MaxValue, 1);
        var size = Read("page[size]", 1, MaxPageSize, DefaultPageSize);
        if (errors.Count > 0)
        {
            throw new ApiException(invalidStatus, errors);
        }

        return new Paging(number, size);

        int Read(string name, int min, int max, int fallback)
        {
            var text = request.Query[name].ToString();
            if (text.Length == 0)
            {
                return fallback;
            }

            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            {
                return value;
            }

            errors.Add(ApiError.InParameter(name, ApiErrors.BadRequestCode, "Invalid parameter", $"{name} must be a whole number from {min} to {max}; got '{ApiErrors.Printable(text)}'"));
            return fallback;
        }
    }

    /// <summary>The <c>filter[...]</c> query parameters, by their full names; <paramref name="invalidStatus"/> for one with a NUL character (PostgreSQL takes none).</summary>
    public static IReadOnlyDictionary<string, string> ReadFilters(HttpRequest request, int invalidStatus = StatusCodes.Status400BadRequest)
    {
        var filters = request.Query.Where(q => q.Key.StartsWith("filter[", StringComparison.Ordinal)).Take(32).ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        var errors = filters.Where(f => f.Value.Contains('\0', StringComparison.Ordinal)).Select(f => ApiErrors.NulInFilter(f.Key)).ToList();
        return errors.Count == 0 ? filters : throw new ApiException(invalidStatus, errors);
    }
}

internal readonly record struct Paging(int Number, int Size);

internal sealed class MessageResult(Events.MessagePayload message) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new System.Text.Json.Utf8JsonWriter(httpContext.Response.BodyWriter, new System.Text.Json.JsonWriterOptions { Encoder = Events.EventJson.WireEncoder });
        json.WriteStartObject();
        json.WritePropertyName("data");
        System.Text.Json.JsonSerializer.Serialize(json, message, Events.EventJson.TypeInfo<Events.MessagePayload>());
        json.WriteEndObject();
    }
}
