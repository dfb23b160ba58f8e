using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Switchboard.Web.Shared;

/// <summary>
/// In front of every page, form and live channel: the security headers (no script, style or connection but this
/// host's; not framed; no referrer to other hosts, since a login link carries the token; "no-referrer" would also make
/// the browser send <c>Origin: null</c> with the pages' own forms), then <see cref="PageAccess"/>.
/// </summary>
/// <remarks>For JSON endpoints (<paramref name="renderer"/> null) a refusal is a problem+json answer instead of a page.</remarks>
internal sealed class PageFilter(PageAccess access, PageRenderer? renderer) : IEndpointFilter
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
        headers.CacheControl = "no-store";
        if (access.Check(context) is { } denial)
        {
            return renderer is null
                ? Results.Problem(statusCode: denial.Status, title: denial.Title, detail: denial.Detail)
                : await renderer.PageAsync<AccessDeniedPage>(denial, denial.Status);
        }

        if (access.RememberLogin(context) && renderer is not null)
        {
            // The token leaves the address bar (and the history) at once; the cookie carries it from here on.
            var rest = QueryString.Create(context.Request.Query.Where(q => q.Key != PageAccess.TokenParameter));
            return Results.Redirect($"{context.Request.PathBase}{context.Request.Path}{rest}");
        }

        return await next(invocation);
    }
}

/// <summary>Puts endpoints that are no pages (listen's JSON API) behind the same <see cref="PageAccess"/> as the pages.</summary>
public static class PageAccessEndpointExtensions
{
    public static TBuilder RequirePageAccess<TBuilder>(this TBuilder builder, PageAccess access) where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(access);
        return builder.AddEndpointFilter(new PageFilter(access, renderer: null));
    }
}
