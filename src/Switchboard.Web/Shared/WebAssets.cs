using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Switchboard.Web.Shared;

/// <summary>
/// The pages' only style sheet and script, served from this assembly's embedded resources (no CDN, no build step, no
/// files beside the tool). Their URLs carry a hash of their content, so a browser may cache them for good.
/// </summary>
internal static class WebAssets
{
    private static readonly Lazy<IReadOnlyDictionary<string, Asset>> Assets = new(Load);

    public static string StyleUrl => Assets.Value["site.css"].Url;

    public static string ScriptUrl => Assets.Value["site.js"].Url;

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        foreach (var asset in Assets.Value.Values)
        {
            endpoints.MapGet(asset.Url, (HttpContext context) =>
            {
                context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
                context.Response.Headers.XContentTypeOptions = "nosniff";
                return Results.Bytes(asset.Content, asset.ContentType);
            });
        }
    }

    private static IReadOnlyDictionary<string, Asset> Load()
    {
        var assembly = typeof(WebAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var (name, contentType) in new[] { ("site.css", "text/css; charset=utf-8"), ("site.js", "text/javascript; charset=utf-8") })
        {
            using var stream = assembly.GetManifestResourceStream($"Switchboard.Web.Assets.{name}")
                ?? throw new InvalidOperationException($"the embedded asset {name} is missing from {assembly.GetName().Name}");
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var hash = Convert.ToHexStringLower(SHA256.HashData(content))[..12];
            var dot = name.LastIndexOf('.');
            assets[name] = new Asset($"/_assets/{name[..dot]}.{hash}{name[dot..]}", content, contentType);
        }

        return assets;
    }

    private sealed record Asset(string Url, byte[] Content, string ContentType);
}
