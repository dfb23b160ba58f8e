using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Switchboard.Web.Shared;

/// <summary>
/// Who may use the pages. On loopback only (the default) anyone on this machine may, as long as the request names a
/// loopback host (so a web page elsewhere cannot reach them through a DNS name pointed at 127.0.0.1). Bound to any
/// other address, every page and live channel needs <see cref="Token"/>: once in the query (<c>?token=...</c>, the
/// link printed at start), after which a cookie carries it; or as <c>Authorization: Bearer</c> (scripts calling listen's
/// <c>/api</c>). The platform's <c>/v2</c> API keeps its own key either way.
/// </summary>
public sealed class PageAccess
{
    public const string TokenParameter = "token";
    public const string CookieName = "switchboard_login";

    private PageAccess(bool requiresToken, string token)
    {
        RequiresToken = requiresToken;
        Token = token;
    }

    /// <summary>True when the host listens on an address other machines may reach.</summary>
    public bool RequiresToken { get; }

    /// <summary>A fresh random token per start (32 bytes, base64url).</summary>
    public string Token { get; }

    /// <summary>The policy for a host listening on <paramref name="urls"/> (Kestrel URLs as given at start).</summary>
    public static PageAccess For(IEnumerable<string> urls)
    {
        ArgumentNullException.ThrowIfNull(urls);
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return new PageAccess(!urls.All(IsLoopbackUrl), token);
    }

    /// <summary>The link to print at start: with the token when one is needed.</summary>
    public string LoginLink(string baseUrl) => RequiresToken ? $"{baseUrl.TrimEnd('/')}/?{TokenParameter}={Token}" : $"{baseUrl.TrimEnd('/')}/";

    public static bool IsLoopbackUrl(string url)
    {
        // Kestrel also takes "http://+:80" and "http://*:80", which Uri does not parse: those are every address.
        if (!Uri.TryCreate(url.Replace("://+", "://any-address", StringComparison.Ordinal).Replace("://*", "://any-address", StringComparison.Ordinal), UriKind.Absolute, out var uri))
        {
            return false;
        }

        return IsLoopbackHost(uri.Host);
    }

    /// <summary>localhost, 127.0.0.0/8 or ::1 (a request's Host header, or a URL's host).</summary>
    public static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    /// <summary>Why <paramref name="context"/> may not see a page, or null if it may.</summary>
    internal AccessDenial? Check(HttpContext context)
    {
        var request = context.Request;
        if (RequiresToken)
        {
            if (!Matches(request.Cookies[CookieName]) && !Matches(request.Query[TokenParameter].ToString()) && !Matches(BearerToken(request)))
            {
                return new AccessDenial(StatusCodes.Status401Unauthorized, "Login needed",
                    "These pages need the login token that was printed when this process started (the link ends in ?token=...).", OfferLogin: true);
            }
        }
        else if (!IsLoopbackHost(request.Host.Host))
        {
            return new AccessDenial(StatusCodes.Status403Forbidden, "Not a loopback host",
                "This process listens on loopback only; open it as http://127.0.0.1:PORT or http://localhost:PORT.", OfferLogin: false);
        }

        // A browser names the page a form came from in Origin (every POST, and "null" when it hides it): only this
        // host's own pages may send one. A client that is no browser (curl) sends none and cannot be tricked by a page.
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method)
            && request.Headers.Origin.Count > 0 && !SameOrigin(request))
        {
            return new AccessDenial(StatusCodes.Status403Forbidden, "Cross-site request refused",
                "A form of these pages must be sent from these pages (the Origin header must name this host).", OfferLogin: false);
        }

        return null;
    }

    /// <summary>Sets the login cookie when the token came in the query; true if the caller should redirect to drop it from the URL.</summary>
    internal bool RememberLogin(HttpContext context)
    {
        if (!RequiresToken || !Matches(context.Request.Query[TokenParameter].ToString()))
        {
            return false;
        }

        context.Response.Cookies.Append(CookieName, Token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
        });
        return HttpMethods.IsGet(context.Request.Method);
    }

    private bool Matches(string? candidate) =>
        !string.IsNullOrEmpty(candidate)
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate), Encoding.UTF8.GetBytes(Token));

    private static string? BearerToken(HttpRequest request) =>
        request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;

    private static bool SameOrigin(HttpRequest request) =>
        request.Headers.Origin.ToString() is { Length: > 0 } origin
        && string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A refused page request: the status and what the page says.</summary>
public sealed record AccessDenial(int Status, string Title, string Detail, bool OfferLogin);
