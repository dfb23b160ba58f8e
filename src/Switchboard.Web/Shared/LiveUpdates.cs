using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Switchboard.Web.Shared;

/// <summary>
/// The live channels of one host: server-sent event streams that send a fragment's HTML whenever it changes. Streams
/// of the same query share one feed: every <see cref="Interval"/> the feed renders the fragment again (through
/// <see cref="PageReads"/>, so renders never take the threads the API needs), compares the render's hash with the last
/// one, and only when it changed hands the new event to each of its streams. A render that takes long spaces the next
/// one out (four times its duration), so one query never keeps more than a fifth of a core busy, however many streams
/// watch it. A feed stops when its last stream ends.
/// <para>
/// At most <see cref="MaxStreams"/> streams are open in the process and <see cref="MaxStreamsPerClient"/> from one
/// client address; one more is answered 503 with <c>Retry-After</c>, and its page works on without live updates (the
/// script tries again later).
/// </para>
/// </summary>
internal sealed class LiveUpdates(TimeProvider time, IHostApplicationLifetime lifetime, PageReads reads, ILogger<LiveUpdates> logger)
{
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Feed> _feeds = new(StringComparer.Ordinal);
    private readonly Dictionary<IPAddress, int> _streamsByClient = [];
    private int _streams;

    private CancellationToken Stopping => lifetime.ApplicationStopping;

    /// <summary>How often a fragment is looked at again: new data shows within this, plus a render.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(500);

    public int MaxStreams { get; init; } = 500;

    public int MaxStreamsPerClient { get; init; } = 50;

    /// <summary>
    /// A stream of <paramref name="query"/>'s fragment: <paramref name="query"/> names what <paramref name="render"/>
    /// shows (its path and canonical filter), so streams with the same one share a feed.
    /// </summary>
    public IResult Stream(string query, Func<CancellationToken, Task<string>> render, TimeSpan? interval = null) =>
        new StreamResult(this, query, render, interval ?? Interval);

    private Feed? TryJoin(string query, Func<CancellationToken, Task<string>> render, TimeSpan interval, IPAddress client)
    {
        Feed? feed;
        lock (_lock)
        {
            var fromClient = _streamsByClient.GetValueOrDefault(client);
            if (_streams >= MaxStreams || fromClient >= MaxStreamsPerClient)
            {
                return null;
            }

            _streams++;
            _streamsByClient[client] = fromClient + 1;
            if (_feeds.TryGetValue(query, out feed))
            {
                feed.Streams++;
                return feed;
            }

            feed = new Feed(query, render, interval) { Streams = 1 };
            _feeds.Add(query, feed);
        }

        _ = RunAsync(feed);
        return feed;
    }

    private void Leave(Feed feed, IPAddress client)
    {
        lock (_lock)
        {
            _streams--;
            feed.Streams--;
            if (--_streamsByClient[client] == 0)
            {
                _streamsByClient.Remove(client);
            }
        }
    }

    /// <summary>Renders the feed's query until no stream watches it (looked at before each render) or the host stops.</summary>
    private async Task RunAsync(Feed feed)
    {
        var stopping = Stopping;
        try
        {
            while (!stopping.IsCancellationRequested && StillWatched(feed))
            {
                var (html, took) = await reads.RunLiveAsync(async () =>
                {
                    var started = time.GetTimestamp();
                    var html = await feed.Render(stopping);
                    return (html, time.GetElapsedTime(started));
                }, stopping);
                feed.Publish(html);

                // A slow query (free text over a large log) is run at most a fifth of the time, whatever the interval.
                await Task.Delay(took * 4 > feed.Interval ? took * 4 : feed.Interval, time, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "The live channel {Query} failed; its streams are closed (pages reconnect)", feed.Query);
            lock (_lock)
            {
                _feeds.Remove(feed.Query);
            }
        }
        finally
        {
            feed.End();
        }
    }

    /// <summary>Whether any stream still watches <paramref name="feed"/>; if none does, it is removed, so the next stream of its query starts a new one.</summary>
    private bool StillWatched(Feed feed)
    {
        lock (_lock)
        {
            if (feed.Streams > 0)
            {
                return true;
            }

            _feeds.Remove(feed.Query);
            return false;
        }
    }

    /// <summary>The client a stream counts against: its address (an IPv4 address the same however the socket shows it).</summary>
    private static IPAddress ClientOf(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address ? address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address : IPAddress.None;

    /// <summary>One query's renders, shared by its streams: the newest event (to send) and the hash of the HTML in it (to compare).</summary>
    private sealed class Feed(string query, Func<CancellationToken, Task<string>> render, TimeSpan interval)
    {
        private readonly Lock _lock = new();
        private byte[] _hash = [];
        private Latest _latest = new(0, [], new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), Ended: false);

        public string Query { get; } = query;

        public Func<CancellationToken, Task<string>> Render { get; } = render;

        public TimeSpan Interval { get; } = interval;

        /// <summary>How many streams watch this feed; changed under the <see cref="LiveUpdates"/> lock.</summary>
        public int Streams { get; set; }

        public Latest Current
        {
            get
            {
                lock (_lock)
                {
                    return _latest;
                }
            }
        }

        public void Publish(string html)
        {
            var hash = SHA256.HashData(MemoryMarshal.AsBytes(html.AsSpan()));
            if (hash.AsSpan().SequenceEqual(_hash))
            {
                return;
            }

            _hash = hash;
            Next(previous => previous with { Version = previous.Version + 1, Event = EventOf(html) });
        }

        public void End() => Next(previous => previous with { Ended = true });

        private void Next(Func<Latest, Latest> change)
        {
            Latest previous;
            lock (_lock)
            {
                previous = _latest;
                _latest = change(previous) with { Changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
            }

            previous.Changed.SetResult();
        }

        /// <summary>One <c>update</c> event in UTF-8; each line of the HTML is a <c>data:</c> line (the client joins them with newlines).</summary>
        private static byte[] EventOf(string html)
        {
            var text = new StringBuilder("event: update\n");
            foreach (var line in html.ReplaceLineEndings("\n").Split('\n'))
            {
                text.Append("data: ").Append(line).Append('\n');
            }

            return Encoding.UTF8.GetBytes(text.Append('\n').ToString());
        }
    }

    /// <summary>A feed's state as a stream reads it: the event of <paramref name="Version"/>, and what completes at the next change.</summary>
    private sealed record Latest(long Version, byte[] Event, TaskCompletionSource Changed, bool Ended);

    private sealed class StreamResult(LiveUpdates live, string query, Func<CancellationToken, Task<string>> render, TimeSpan interval) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            var response = context.Response;
            var client = ClientOf(context);
            if (live.TryJoin(query, render, interval, client) is not { } feed)
            {
                response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                response.Headers.RetryAfter = ((int)RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                response.ContentType = "text/plain; charset=utf-8";
                await response.WriteAsync("Too many live update streams are open; the page works without them. Try again later.\n", context.RequestAborted);
                return;
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, live.Stopping);
            try
            {
                response.ContentType = "text/event-stream";
                response.Headers.CacheControl = "no-store";
                // An EventSource reconnects by itself after this long when the stream breaks (a restart).
                await response.WriteAsync("retry: 2000\n\n", stop.Token);
                await response.Body.FlushAsync(stop.Token);
                long sent = 0;
                while (feed.Current is { Ended: false } latest)
                {
                    if (latest.Version != sent)
                    {
                        await response.Body.WriteAsync(latest.Event, stop.Token);
                        await response.Body.FlushAsync(stop.Token);
                        sent = latest.Version;
                    }

                    await latest.Changed.Task.WaitAsync(stop.Token);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            finally
            {
                live.Leave(feed, client);
            }
        }
    }
}
