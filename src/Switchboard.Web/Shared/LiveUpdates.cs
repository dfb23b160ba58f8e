using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace Switchboard.Web.Shared;

/// <summary>
/// A live channel: a server-sent event stream that sends a fragment's HTML whenever it changes. Every
/// <see cref="Interval"/> the fragment is rendered again from the same query its page used, and sent only if it
/// differs from the last one sent; the page's script (site.js) swaps it in. A render that takes long spaces the next
/// one out (four times its duration), so one open page never keeps more than a fifth of a core busy. The stream ends
/// with the request or when the host stops.
/// </summary>
internal sealed class LiveUpdates(TimeProvider time, IHostApplicationLifetime lifetime)
{
    private TimeProvider Time { get; } = time;

    private IHostApplicationLifetime Lifetime { get; } = lifetime;

    /// <summary>How often a fragment is looked at again: new data shows within this, plus a render.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(500);

    public IResult Stream(Func<CancellationToken, Task<string>> render) => new StreamResult(this, render);

    private sealed class StreamResult(LiveUpdates live, Func<CancellationToken, Task<string>> render) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, live.Lifetime.ApplicationStopping);
            var response = context.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-store";
            // An EventSource reconnects by itself after this long when the stream breaks (a restart).
            await response.WriteAsync("retry: 2000\n\n", stop.Token);
            await response.Body.FlushAsync(stop.Token);
            string? sent = null;
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var started = live.Time.GetTimestamp();
                    var html = await render(stop.Token);
                    var took = live.Time.GetElapsedTime(started);
                    if (html != sent)
                    {
                        await response.WriteAsync(Event(html), stop.Token);
                        await response.Body.FlushAsync(stop.Token);
                        sent = html;
                    }

                    // A slow query (free text over a large log) is run at most a fifth of the time, whatever the interval.
                    await Task.Delay(took * 4 > live.Interval ? took * 4 : live.Interval, live.Time, stop.Token);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }

        /// <summary>One <c>update</c> event; each line of the HTML is a <c>data:</c> line (the client joins them with newlines).</summary>
        private static string Event(string html)
        {
            var text = new StringBuilder("event: update\n");
            foreach (var line in html.ReplaceLineEndings("\n").Split('\n'))
            {
                text.Append("data: ").Append(line).Append('\n');
            }

            return text.Append('\n').ToString();
        }
    }
}
