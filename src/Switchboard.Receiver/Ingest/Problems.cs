using Microsoft.AspNetCore.Http;

namespace Switchboard.Receiver.Ingest;

/// <summary>The <c>application/problem+json</c> answers of the endpoint, each naming a machine-readable reason.</summary>
internal static class Problems
{
    public static IResult Create(int status, string reason, string detail) => Results.Problem(
        statusCode: status,
        title: Title(status),
        detail: detail,
        type: $"https://switchboard.dev/problems/{reason.Replace('_', '-')}",
        extensions: new Dictionary<string, object?> { ["reason"] = reason });

    private static string Title(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "The body is not a Telnyx webhook",
        StatusCodes.Status401Unauthorized => "The webhook signature did not verify",
        StatusCodes.Status405MethodNotAllowed => "Webhooks are POSTed",
        StatusCodes.Status408RequestTimeout => "The body arrived too slowly",
        StatusCodes.Status413PayloadTooLarge => "The body is too large",
        StatusCodes.Status415UnsupportedMediaType => "Webhooks are uncompressed JSON",
        StatusCodes.Status503ServiceUnavailable => "The webhook could not be stored",
        _ => "The webhook could not be accepted",
    };
}
