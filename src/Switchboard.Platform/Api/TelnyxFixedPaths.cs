using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Switchboard.Platform.Api;

/// <summary>
/// Telnyx's fixed sub-paths under the resources serve emulates (<c>/phone_numbers/messaging</c>,
/// <c>/messages/group_mms</c>, ...). A request for one must never reach a <c>/{id}</c> route and be answered "phone
/// number 'messaging' does not exist": when the route that matched has a parameter where Telnyx has one of these
/// names, the answer is the emulator's "not emulated" 404. A literal route mapped for one of them (when it is
/// emulated) matches first and is left alone. The names are the spec's (tests/interop checks every one of Telnyx's
/// paths under these resources against serve).
/// </summary>
internal sealed class TelnyxFixedPaths : IEndpointFilter
{
    private static readonly Dictionary<string, HashSet<string>> FixedNames = new(StringComparer.Ordinal)
    {
        ["phone_numbers"] = ["actions", "csv_downloads", "jobs", "messaging", "slim", "voice"],
        ["messages"] = ["alphanumeric_sender_id", "group", "group_mms", "long_code", "number_pool", "rcs", "schedule", "short_code", "whatsapp"],
        ["recordings"] = ["actions"],
    };

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        ParameterTakesFixedName(context.HttpContext) ? ValueTask.FromResult<object?>(ApiResults.Error(NotEmulated(context.HttpContext.Request))) : next(context);

    /// <summary>The "not emulated" 404, which every path of Telnyx's API that serve lacks gets.</summary>
    public static ApiException NotEmulated(HttpRequest request) =>
        new(404, new ApiError(ApiErrors.NotFoundCode, "Resource not found",
            $"{request.Method} {ApiErrors.Printable(request.Path.Value ?? "")} is not part of the Telnyx API that Switchboard emulates (see docs/platform.md)"));

    private static bool ParameterTakesFixedName(HttpContext context)
    {
        // Patterns are /v2/{resource}/{...}: the segment after the resource is where Telnyx's fixed names sit.
        if (context.GetEndpoint() is not RouteEndpoint { RoutePattern.PathSegments: [_, { IsSimple: true } resource, { IsSimple: true } second, ..] }
            || resource.Parts[0] is not RoutePatternLiteralPart { Content: var resourceName }
            || second.Parts[0] is not RoutePatternParameterPart { Name: var parameter, IsCatchAll: false }
            || !FixedNames.TryGetValue(resourceName, out var names))
        {
            return false;
        }

        return context.Request.RouteValues[parameter] is string value && names.Contains(value);
    }
}
