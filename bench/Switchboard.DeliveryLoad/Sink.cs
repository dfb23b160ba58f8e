using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Switchboard.DeliveryLoad;

/// <summary>
/// The lean loopback sink: a Kestrel minimal endpoint on 127.0.0.1 that answers every POST with 200 and an empty
/// body (<c>/fail...</c> with 500) and counts them; <c>GET /count</c> tells the count. Runs until stdin closes.
/// </summary>
internal static class Sink
{
    public static async Task<int> RunAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        long count = 0;
        app.MapPost("/{**path}", (HttpContext context) =>
        {
            Interlocked.Increment(ref count);
            context.Response.StatusCode = context.Request.Path.StartsWithSegments("/fail") ? 500 : 200;
            return Task.CompletedTask;
        });
        app.MapGet("/count", () => Interlocked.Read(ref count).ToString(CultureInfo.InvariantCulture));
        await app.StartAsync();
        Console.WriteLine(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
        return 0;
    }
}

/// <summary>
/// The sink as a child process of the harness, so its work is not counted in the harness's own process. Public: the
/// platform's harness (Switchboard.PlatformLoad) runs the same sink, so both POST to the same endpoint.
/// </summary>
public sealed class SinkProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _client = new();

    private SinkProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public Uri Url(string path) => new(BaseAddress, path);

    public static async Task<SinkProcess> StartAsync()
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (var arg in Load.SelfArgs())
        {
            start.ArgumentList.Add(arg);
        }

        start.ArgumentList.Add("sink");
        var process = Process.Start(start)!;
        var address = await process.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("the sink process did not start");
        return new SinkProcess(process, new Uri(address));
    }

    public async Task<long> CountAsync() => long.Parse(await _client.GetStringAsync(Url("/count")), CultureInfo.InvariantCulture);

    /// <summary>Waits until the sink has received <paramref name="count"/> requests (at most five minutes).</summary>
    public async Task WaitForAsync(long count)
    {
        var deadline = Stopwatch.StartNew();
        while (await CountAsync() < count)
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(5))
            {
                throw new TimeoutException($"the sink got {await CountAsync()} of {count} requests");
            }

            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        _process.StandardInput.Close();
        if (!_process.WaitForExit(5000))
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
