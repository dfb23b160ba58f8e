using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Events;

namespace Switchboard.Web.Shared;

/// <summary>
/// Who may use the pages. Decided from the addresses the server bound once it started (not from the URLs it was
/// asked for: Kestrel's own configuration may bind others), and until then as for the worst case. Bound to loopback
/// only, anyone on this machine may, as long as the connection comes from a loopback address and the request names a
/// loopback host (so a web page elsewhere cannot reach them through a DNS name pointed at 127.0.0.1). Bound to any
/// other address (or a Unix socket), every page and live channel needs <see cref="Token"/>: from the login link
/// printed at start (<c>?token=...</c>) or the login form, after which a cookie carries it; or as
/// <c>Authorization: Bearer</c> (scripts calling listen's <c>/api</c>). The platform's <c>/v2</c> API keeps its own
/// key either way.
/// </summary>
public sealed class PageAccess
{
    public const string TokenParameter = "token";

    /// <summary>The login form posts here.</summary>
    public const string LoginPath = "/login";

    private const string CookiePrefix = "switchboard_login_";

    private volatile bool _loopbackOnly;

    private PageAccess(string token)
    {
        Token = token;
    }

    /// <summary>True unless the server has started and bound loopback addresses only.</summary>
    public bool RequiresToken => !_loopbackOnly;

    /// <summary>A fresh random token per start (32 bytes, base64url).</summary>
    public string Token { get; }

    /// <summary>The policy for <paramref name="app"/>, decided when it has started, from the addresses it bound.</summary>
    public static PageAccess For(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var access = new PageAccess(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_'));
        // Kestrel has bound by then, and app.Urls (its IServerAddressesFeature) holds what it bound, ports and all.
        app.Lifetime.ApplicationStarted.Register(() => access.BoundTo(app.Urls));
        return access;
    }

    /// <summary>Takes the server's bound addresses: no token is needed only if every one of them is loopback.</summary>
    internal void BoundTo(IEnumerable<string> addresses)
    {
        var list = addresses.ToList();
        _loopbackOnly = list.Count > 0 && list.All(IsLoopbackUrl);
    }

    /// <summary>The link to print at start: with the token when one is needed.</summary>
    public string LoginLink(string baseUrl) => RequiresToken ? $"{baseUrl.TrimEnd('/')}/?{TokenParameter}={Token}" : $"{baseUrl.TrimEnd('/')}/";

    public static bool IsLoopbackUrl(string url)
    {
        // Kestrel also takes "http://+:80" and "http://*:80", which Uri does not parse: those are every address.
        // A Unix socket ("http://unix:/path") parses with the host "unix": not loopback, as any local user may connect.
        if (!Uri.TryCreate(url.Replace("://+", "://any-address", StringComparison.Ordinal).Replace("://*", "://any-address", StringComparison.Ordinal), UriKind.Absolute, out var uri))
        {
            return false;
        }

        return IsLoopbackHost(uri.Host);
    }

    /// <summary>localhost, 127.0.0.0/8 or ::1 (a request's Host header, or a URL's host).</summary>
    public static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IsLoopback(address));

    /// <summary>The login cookie's name: one per port, so two processes on one host (serve and listen) keep a login each.</summary>
    internal static string CookieName(HttpContext context) => CookiePrefix + context.Connection.LocalPort.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Why <paramref name="context"/> may not see a page, or null if it may.</summary>
    internal AccessDenial? Check(HttpContext context)
    {
        var request = context.Request;
        if (RequiresToken)
        {
            if (!Matches(request.Cookies[CookieName(context)]) && !Matches(request.Query[TokenParameter].ToString()) && !Matches(BearerToken(request)))
            {
                return new AccessDenial(StatusCodes.Status401Unauthorized, "Login needed",
                    "These pages need the login token that was printed when this process started (the link ends in ?token=...).", OfferLogin: true,
                    ReturnPath: $"{request.PathBase}{request.Path}{QueryString.Create(request.Query.Where(q => q.Key != TokenParameter))}");
            }
        }
        else if (!IsLoopbackHost(request.Host.Host) || context.Connection.RemoteIpAddress is not { } remote || !IsLoopback(remote))
        {
            return new AccessDenial(StatusCodes.Status403Forbidden, "Not a loopback host",
                "This process listens on loopback only; open it on this machine as http://127.0.0.1:PORT or http://localhost:PORT.", OfferLogin: false);
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

        SetCookie(context);
        return HttpMethods.IsGet(context.Request.Method);
    }

    /// <summary>
    /// The login form's POST: the token in the body, so it is in no URL and no browser history. Sets the cookie and
    /// sends the browser back to the page it was refused (a path of this host only), or answers 401 again.
    /// </summary>
    internal async Task<IResult> LogInAsync(HttpContext context, PageRenderer renderer)
    {
        var request = context.Request;
        var form = request.HasFormContentType && request.ContentLength is <= FormBody.MaxBytes ? await request.ReadFormAsync(context.RequestAborted) : null;
        var returnPath = form?["return"].ToString() is { Length: > 0 } path && IsLocalPath(path) ? path : "/";
        if (request.Headers.Origin.Count > 0 && !SameOrigin(request))
        {
            return await renderer.PageAsync<AccessDeniedPage>(new AccessDenial(StatusCodes.Status403Forbidden, "Cross-site request refused",
                "The login form must be sent from these pages.", OfferLogin: false), StatusCodes.Status403Forbidden);
        }

        if (!RequiresToken || Matches(form?[TokenParameter].ToString()))
        {
            if (RequiresToken)
            {
                SetCookie(context);
            }

            return Results.Redirect(returnPath);
        }

        return await renderer.PageAsync<AccessDeniedPage>(new AccessDenial(StatusCodes.Status401Unauthorized, "Login needed",
            "That is not the login token this process printed when it started.", OfferLogin: true, returnPath), StatusCodes.Status401Unauthorized);
    }

    private void SetCookie(HttpContext context) =>
        context.Response.Cookies.Append(CookieName(context), Token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
        });

    /// <summary>
    /// A path on this host: a browser strips tabs and line breaks from a URL, so "/\t/evil.example" would leave for another
    /// host as "//evil.example"; no control or format character is taken.
    /// </summary>
    private static bool IsLocalPath(string path) =>
        path.StartsWith('/') && !path.StartsWith("//", StringComparison.Ordinal) && !path.StartsWith("/\\", StringComparison.Ordinal)
        && !TerminalText.ContainsUnsafe(path);

    private static bool IsLoopback(IPAddress address) => IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    private bool Matches(string? candidate) =>
        !string.IsNullOrEmpty(candidate)
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate), Encoding.UTF8.GetBytes(Token));

    private static string? BearerToken(HttpRequest request) =>
        request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;

    private static bool SameOrigin(HttpRequest request) =>
        request.Headers.Origin.ToString() is { Length: > 0 } origin
        && string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A refused page request: the status, what the page says, and where the login form sends the browser back to.</summary>
public sealed record AccessDenial(int Status, string Title, string Detail, bool OfferLogin, string ReturnPath = "/");
