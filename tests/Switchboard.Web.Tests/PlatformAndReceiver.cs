using System.Text.Json.Nodes;

namespace Switchboard.Web.Tests;

/// <summary>
/// <c>serve</c> and a <c>listen</c> that verifies with its public key, with a messaging profile whose webhooks go to
/// listen and a number on it: a message sent through <see cref="Api"/> reaches the receiver, as in the README's quick start.
/// </summary>
internal sealed class PlatformAndReceiver : IAsyncDisposable
{
    private PlatformAndReceiver(InProcessSwitchboard serve, InProcessSwitchboard listen, ApiClient api)
    {
        Serve = serve;
        Listen = listen;
        Api = api;
    }

    public InProcessSwitchboard Serve { get; }

    public InProcessSwitchboard Listen { get; }

    public ApiClient Api { get; }

    public static async Task<PlatformAndReceiver> StartAsync(string[]? serveArgs = null, string[]? listenArgs = null)
    {
        var serve = await InProcessSwitchboard.ServeAsync(serveArgs ?? []);
        var listen = await InProcessSwitchboard.ListenAsync(DashboardTests.PublicKeyOf(serve), listenArgs ?? []);
        var api = new ApiClient(serve.BaseUrl);
        await api.ProfileWithNumberAsync(listen.BaseUrl + "/webhooks/telnyx");
        return new PlatformAndReceiver(serve, listen, api);
    }

    /// <summary>
    /// Waits until listen has recorded <paramref name="count"/> requests, so a page opened next shows them as loaded, not
    /// through a live update that a loaded machine may delay past the browser's patience.
    /// </summary>
    public async Task WaitForRequestsAsync(int count)
    {
        using var client = new HttpClient();
        await Eventually.TrueAsync(
            async () => JsonNode.Parse(await client.GetStringAsync(Listen.BaseUrl + "/api/requests"))!.AsArray().Count >= count,
            $"{count} requests recorded by listen");
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await Listen.DisposeAsync();
        await Serve.DisposeAsync();
    }
}
