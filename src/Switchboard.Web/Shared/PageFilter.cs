using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

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

    /// <summary>Maps the pages' shared parts (assets, the login form's endpoint) and returns the group the pages go in, behind this filter.</summary>
    public static RouteGroupBuilder MapPages(WebApplication app, PageAccess access, PageRenderer renderer)
    {
        WebAssets.Map(app);
        app.MapPost(PageAccess.LoginPath, async (HttpContext context) =>
        {
            SetSecurityHeaders(context.Response.Headers);
            return await access.LogInAsync(context, renderer);
        });
        return app.MapGroup("").AddEndpointFilter(new PageFilter(access, renderer));
    }

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        SetSecurityHeaders(context.Response.Headers);
        if (access.Check(context) is { } denial)
        {
            return renderer is null
                ? Results.Problem(statusCode: denial.Status, title: denial.Title, detail: denial.Detail)
                : await renderer.PageAsync<AccessDeniedPage>(denial, denial.Status);
        }

        if (access.RememberLogin(context) && renderer is not null)
        {
            // The token leaves the address bar at once and the cookie carries it from here on. The browser's history
            // keeps the link that was opened, token and all (valid until this process stops); the login form posts it instead.
            var rest = QueryString.Create(context.Request.Query.Where(q => q.Key != PageAccess.TokenParameter));
            return Results.Redirect($"{context.Request.PathBase}{context.Request.Path}{rest}");
        }

        return await next(invocation);
    }

    private static void SetSecurityHeaders(IHeaderDictionary headers)
    {
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
        headers.CacheControl = "no-store";
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
