using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Switchboard.DurableWork;

namespace Switchboard.Platform.Api;

/// <summary>
/// Every API request carries <c>Authorization: Bearer {api key}</c>, as the Telnyx SDKs send it; without it, or with
/// another key, the answer is 401 in Telnyx's error shape. The comparison takes the same time whatever the key.
/// </summary>
internal sealed class ApiKeyFilter(PlatformOptions options) : IEndpointFilter
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(options.ApiKey));

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return ApiResults.Error(ApiErrors.Unauthorized(
                "no API key: send it as the header 'Authorization: Bearer YOUR_API_KEY' (serve prints the key at start)"));
        }

        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()));
        if (!CryptographicOperations.FixedTimeEquals(given, _expected))
        {
            return ApiResults.Error(ApiErrors.Unauthorized("the API key is not this platform's (serve prints the key at start)"));
        }

        return await next(context);
    }
}

/// <summary>
/// Turns an <see cref="ApiException"/> thrown by a service into Telnyx's error answer, and a database that is briefly
/// unavailable into 503 with <c>Retry-After</c> (never a 500, which clients read as the platform's bug).
/// </summary>
internal sealed class ApiErrorFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (ApiException ex)
        {
            return ApiResults.Error(ex);
        }
        catch (Exception ex) when (TransientStoreErrors.IsTransient(ex))
        {
            context.HttpContext.Response.Headers.RetryAfter = ApiErrors.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return ApiResults.Error(ApiErrors.Unavailable());
        }
        catch (WorkPlanConflictException)
        {
            context.HttpContext.Response.Headers.RetryAfter = ApiErrors.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return ApiResults.Error(ApiErrors.Contended());
        }
    }
}
