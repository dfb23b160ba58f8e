using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Platform.Hosting;

namespace Switchboard.Cli.Commands;

/// <summary>
/// The verbs that talk to a running <c>serve</c> (inbound messages, redelivery): its URL, and the API key from
/// <c>--api-key</c>, <c>$SWITCHBOARD_API_KEY</c> or the data folder, as <c>serve</c> itself finds it.
/// </summary>
internal static class PlatformClient
{
    public static System.CommandLine.Option<Uri> UrlOption()
    {
        var option = HttpUrlOption.Create("--url", "The platform's base URL");
        option.DefaultValueFactory = _ => new Uri("http://127.0.0.1:8080");
        return option;
    }

    public static System.CommandLine.Option<string?> ApiKeyOption() => new("--api-key") { Description = $"The platform's API key (default: ${ServeCommand.ApiKeyVariable}, else the data folder's)" };

    /// <summary>The API key as <see cref="FindApiKey"/> finds it; when there is none, says how to give one and returns false.</summary>
    public static bool TryFindApiKey(string? given, string dataDirectory, TextWriter error, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? apiKey)
    {
        apiKey = FindApiKey(given, dataDirectory);
        if (apiKey is null)
        {
            error.WriteLine($"no API key: give --api-key, set ${ServeCommand.ApiKeyVariable}, or run this where serve's data folder is (--data)");
        }

        return apiKey is not null;
    }

    public static string? FindApiKey(string? given, string dataDirectory)
    {
        if (!string.IsNullOrEmpty(given))
        {
            return given;
        }

        if (Environment.GetEnvironmentVariable(ServeCommand.ApiKeyVariable) is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment;
        }

        var file = Path.Combine(dataDirectory, PlatformFiles.ApiKeyFile);
        return File.Exists(file) ? File.ReadAllText(file).Trim() : null;
    }

    /// <summary>Sends a JSON request; prints the answer's <c>data</c> (or its errors) and returns the exit code.</summary>
    public static async Task<int> SendAsync(HttpMethod method, Uri url, string apiKey, JsonNode? body, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonNode? json = null;
            try
            {
                json = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
            }

            if (response.IsSuccessStatusCode)
            {
                output.WriteLine(json?["data"]?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? text);
                return 0;
            }

            var errors = json?["errors"]?.AsArray().Select(e => $"{e?["code"]} {e?["title"]}: {e?["detail"]}{(e?["source"]?["pointer"] is { } p ? $" ({p})" : "")}");
            error.WriteLine($"{(int)response.StatusCode} {response.ReasonPhrase}: {(errors is null ? text : string.Join("; ", errors))}");
            return 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            error.WriteLine($"cannot reach the platform at {url.GetLeftPart(UriPartial.Authority)}: {ex.Message}");
            return 1;
        }
    }
}
