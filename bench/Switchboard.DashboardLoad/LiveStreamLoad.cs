using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Switchboard.Testing;

/// <summary>
/// The API's latency with many live streams open: <c>/healthz</c>, <c>POST /v2/messages</c> and a page timed one
/// after the other, first with no stream open, then with <c>streams</c> open from ten loopback addresses (127.0.0.2-11) on a
/// third as many queries (free text, pages of the failed list, one delivery each), as a hostile local client would.
/// </summary>
internal static class LiveStreamLoad
{
    private const string From = "+18445550001";

    public static async Task RunAsync(HttpClient api, string baseUrl, int streams, int rounds, string someEventId)
    {
        var profile = await PostAsync(api, "/v2/messaging_profiles",
            """{"name":"load","whitelisted_destinations":["US"],"webhook_url":"http://127.0.0.1:9/webhooks"}""");
        await PostAsync(api, "/v2/number_orders",
            $$"""{"phone_numbers":[{"phone_number":"{{From}}"}],"messaging_profile_id":"{{profile.GetProperty("id").GetString()}}"}""");
        var ids = (await GetAsync(api, "/v2/webhook_deliveries?page[size]=250")).EnumerateArray().Select(d => d.GetProperty("id").GetString()!).ToList();

        Report("no live stream open", await TimeAsync(api, rounds));

        var distinct = Math.Max(1, streams / 3);
        var queries = Enumerable.Range(0, distinct).Select(q => (q % 3) switch
        {
            0 => $"/live/deliveries?q={(q == 0 ? someEventId : $"no-such-text-{q}")}",
            1 => $"/live/deliveries?status=failed&page={q}",
            _ => $"/live/deliveries/{ids[q % ids.Count]}",
        }).ToList();
        var clients = Enumerable.Range(2, 10).Select(n => Loopback.ClientFrom(IPAddress.Parse($"127.0.0.{n}"), baseUrl)).ToList();
        using var stop = new CancellationTokenSource();
        var opened = 0;
        var refused = 0;
        var updated = 0;
        var open = Stopwatch.StartNew();
        var reading = Enumerable.Range(0, streams).Select(i => ReadAsync(clients[i % clients.Count], queries[i % queries.Count])).ToList();
        while (Volatile.Read(ref updated) + Volatile.Read(ref refused) < streams && open.Elapsed < TimeSpan.FromSeconds(120))
        {
            await Task.Delay(100);
        }

        Console.WriteLine($"{streams} streams on {queries.Count} queries: {opened} open, {refused} refused, {updated} with their first update after {open.Elapsed.TotalSeconds:0.0} s");
        Report($"{opened} live streams open", await TimeAsync(api, rounds));
        await stop.CancelAsync();
        await Task.WhenAll(reading);
        clients.ForEach(c => c.Dispose());

        async Task ReadAsync(HttpClient client, string path)
        {
            try
            {
                using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, stop.Token);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref refused);
                    return;
                }

                Interlocked.Increment(ref opened);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
                var first = true;
                while (await reader.ReadLineAsync(stop.Token) is { } line)
                {
                    if (first && line == "event: update")
                    {
                        first = false;
                        Interlocked.Increment(ref updated);
                    }
                }
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>Rounds of one <c>GET /healthz</c>, one <c>POST /v2/messages</c> and one dashboard page (<c>GET /</c>), a quarter second apart; their latencies in ms.</summary>
    private static async Task<Dictionary<string, List<double>>> TimeAsync(HttpClient api, int rounds)
    {
        var times = new Dictionary<string, List<double>> { ["GET /healthz"] = [], ["POST /v2/messages"] = [], ["GET / (a page)"] = [] };
        for (var i = 0; i < rounds; i++)
        {
            var clock = Stopwatch.StartNew();
            using (var response = await api.GetAsync("/healthz"))
            {
                response.EnsureSuccessStatusCode();
            }

            times["GET /healthz"].Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            await PostAsync(api, "/v2/messages", $$"""{"from":"{{From}}","to":"+13125550100","text":"round {{i}}"}""");
            times["POST /v2/messages"].Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            (await api.GetAsync("/")).EnsureSuccessStatusCode().Dispose();
            times["GET / (a page)"].Add(clock.Elapsed.TotalMilliseconds);
            await Task.Delay(250);
        }

        return times;
    }

    private static void Report(string what, Dictionary<string, List<double>> times)
    {
        Console.WriteLine($"{what}:");
        foreach (var (name, list) in times)
        {
            list.Sort();
            Console.WriteLine($"  {name,-20} median {list[list.Count / 2],8:0.0} ms   max {list[^1],8:0.0} ms   ({list.Count} requests)");
        }
    }

    private static async Task<JsonElement> PostAsync(HttpClient api, string path, string json)
    {
        using var response = await api.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
        }

        return JsonDocument.Parse(text).RootElement.GetProperty("data").Clone();
    }

    private static async Task<JsonElement> GetAsync(HttpClient api, string path)
    {
        var text = await api.GetStringAsync(path);
        return JsonDocument.Parse(text).RootElement.GetProperty("data").Clone();
    }
}
