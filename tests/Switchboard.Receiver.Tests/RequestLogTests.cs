using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Receiver.Tests.Support;
using Switchboard.Signing;
using Switchboard.Testing;

namespace Switchboard.Receiver.Tests;

/// <summary>
/// The request log of RecordAllRequests is bounded: a rejected request keeps only a prefix of its body, and the log
/// keeps at most so many records and bytes, the oldest dropped first. An unauthenticated client cannot make it grow.
/// </summary>
public sealed class RequestLogTests
{
    [Fact]
    public async Task A_rejected_request_keeps_a_prefix_of_its_body_with_the_whole_length_noted()
    {
        using var sender = new TestSender();
        await using var app = await StartAsync(sender, TempFolder.Create());
        var body = new byte[1024 * 1024];
        Array.Fill(body, (byte)'x');
        "é"u8.CopyTo(body.AsSpan(4095)); // a two-byte character across the 4 KiB cut

        using var response = await app.PostAsync(body, [new(TelnyxHeaders.Timestamp, "1"), new(TelnyxHeaders.Signature, "bogus")]);

        Assert.Equal(401, (int)response.StatusCode);
        var recorded = Assert.Single(await app.Admin.ListRequestsAsync());
        Assert.Equal(4095, recorded.Body.Length);
        Assert.Equal(body.AsSpan(0, 4095).ToArray(), recorded.Body);
        Assert.Equal(body.Length, recorded.BodyLength);
        Assert.True(recorded.BodyTruncated);
    }

    [Fact]
    public async Task The_log_keeps_the_newest_records_up_to_its_count()
    {
        using var sender = new TestSender();
        await using var app = await StartAsync(sender, TempFolder.Create(), o => o.RequestLogMaxCount = 5);

        for (var i = 0; i < 12; i++)
        {
            (await app.PostAsync(Text.Utf8($"junk {i}"), [])).Dispose();
        }

        var recorded = await app.Admin.ListRequestsAsync(1, 100);
        Assert.Equal(["junk 11", "junk 10", "junk 9", "junk 8", "junk 7"], recorded.Select(r => Encoding.UTF8.GetString(r.Body)));
    }

    [Fact]
    public async Task Webhooks_accepted_at_once_are_each_stored_once_and_leave_the_log_at_its_count()
    {
        using var sender = new TestSender();
        await using var app = await StartAsync(sender, TempFolder.Create(), o => o.RequestLogMaxCount = 5);
        // 60 requests at once, each of 20 events three times: every event stored once, each request recorded with
        // its outcome in the inbox's transaction, and the records written side by side still trimmed to the count.
        var bodies = Enumerable.Range(0, 60).Select(i => Text.Utf8($"{{\"data\":{{\"id\":\"evt-{i % 20}\",\"event_type\":\"message.sent\",\"payload\":{{}}}}}}"));
        var answers = await Task.WhenAll(bodies.Select(async body =>
        {
            using var response = await app.PostAsync(body, sender.Sign(body));
            return (int)response.StatusCode;
        }));

        Assert.All(answers, status => Assert.Equal(200, status));
        Assert.Equal(20, (await app.Admin.ListAsync(pageSize: 100)).Count);
        var recorded = await app.Admin.ListRequestsAsync(1, 100);
        Assert.Equal(5, recorded.Count);
        Assert.All(recorded, r => Assert.Contains(r.Outcome, new[] { "accepted", "duplicate" }));
    }

    [Fact]
    public async Task A_duplicate_of_an_event_whose_record_was_trimmed_is_recorded_as_a_duplicate()
    {
        using var sender = new TestSender();
        await using var app = await StartAsync(sender, TempFolder.Create(), o => o.RequestLogMaxCount = 3);
        var first = TestSender.Body(id: "evt-first");
        (await app.PostAsync(first, sender.Sign(first))).Dispose();
        for (var i = 0; i < 4; i++)
        {
            var other = TestSender.Body(id: $"evt-other-{i}");
            (await app.PostAsync(other, sender.Sign(other))).Dispose();
        }

        // The event is still in the inbox, its "accepted" record long gone from the log.
        Assert.DoesNotContain(await app.Admin.ListRequestsAsync(1, 100), r => r.EventId == "evt-first");
        (await app.PostAsync(first, sender.Sign(first))).Dispose();

        var records = (await app.Admin.ListRequestsAsync(1, 100)).Where(r => r.EventId == "evt-first").ToList();
        Assert.Equal(["duplicate"], records.Select(r => r.Outcome));
    }

    [Fact]
    public async Task Past_its_count_a_log_written_side_by_side_stays_within_a_64th_of_it()
    {
        using var sender = new TestSender();
        await using var app = await StartAsync(sender, TempFolder.Create(), o => o.RequestLogMaxCount = 128);
        // Deleted two at a time once full (a 64th of 128); many writers at once must not each delete a chunk.
        for (var batch = 0; batch < 4; batch++)
        {
            await Task.WhenAll(Enumerable.Range(0, 100).Select(async i =>
            {
                var body = Text.Utf8($"{{\"data\":{{\"id\":\"evt-{batch}-{i}\",\"event_type\":\"message.sent\",\"payload\":{{}}}}}}");
                using var response = await app.PostAsync(body, sender.Sign(body));
                Assert.Equal(200, (int)response.StatusCode);
            }));
        }

        var recorded = await app.Admin.ListRequestsAsync(1, 250);
        Assert.InRange(recorded.Count, 126, 128);
        Assert.Equal("evt-3-", recorded[0].EventId![..6]);
    }

    [Fact]
    public async Task The_log_keeps_the_newest_records_up_to_its_bytes()
    {
        using var sender = new TestSender();
        await using var app = await StartAsync(sender, TempFolder.Create(), o => o.RequestLogMaxBytes = 1024 * 1024);
        var ids = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            // Signed webhooks of 300 kB each: kept whole, so three fit in 1 MiB and a fourth does not.
            var id = $"big-{i}";
            var body = Text.Utf8($"{{\"data\":{{\"id\":\"{id}\",\"event_type\":\"message.sent\",\"payload\":{{\"text\":\"{new string('z', 300_000)}\"}}}}}}");
            using var response = await app.PostAsync(body, sender.Sign(body));
            Assert.Equal(200, (int)response.StatusCode);
            ids.Add(id);
        }

        var recorded = await app.Admin.ListRequestsAsync(1, 100);
        Assert.Equal(["big-7", "big-6", "big-5"], recorded.Select(r => r.EventId));
    }

    [Fact]
    public async Task A_restart_with_a_smaller_bound_trims_what_the_last_run_left()
    {
        using var sender = new TestSender();
        var folder = TempFolder.Create();
        await using (var first = await StartAsync(sender, folder))
        {
            for (var i = 0; i < 8; i++)
            {
                (await first.PostAsync(Text.Utf8($"junk {i}"), [])).Dispose();
            }

            Assert.Equal(8, (await first.Admin.ListRequestsAsync(1, 100)).Count);
        }

        await using var second = await StartAsync(sender, folder, o => o.RequestLogMaxCount = 3);
        (await second.PostAsync(Text.Utf8("junk 8"), [])).Dispose();

        var recorded = await second.Admin.ListRequestsAsync(1, 100);
        Assert.Equal(["junk 8", "junk 7", "junk 6"], recorded.Select(r => Encoding.UTF8.GetString(r.Body)));
    }

    [Fact]
    public async Task Records_deleted_for_their_age_leave_room_for_as_many_new_ones()
    {
        using var sender = new TestSender();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = await ReceiverApp.StartAsync(o =>
        {
            o.PublicKeys.Add(sender.PublicKey);
            o.DataDirectory = TempFolder.Create();
            o.RecordAllRequests = true;
            o.RequestLogMaxCount = 3;
            o.KeepHandledFor = TimeSpan.FromDays(1);
        }, more: builder => builder.Services.AddSingleton<TimeProvider>(time));
        for (var i = 0; i < 3; i++)
        {
            (await app.PostAsync(Text.Utf8($"old {i}"), [])).Dispose();
        }

        time.Advance(TimeSpan.FromDays(1));
        // The hourly retention pass deletes them once they are a day old; move the clock an hour per look until it has.
        await Eventually.GetAsync(async () =>
        {
            var records = await app.Admin.ListRequestsAsync(1, 100);
            time.Advance(TimeSpan.FromHours(1));
            return records;
        }, r => r.Count == 0, "the old records to be deleted");
        for (var i = 0; i < 3; i++)
        {
            (await app.PostAsync(Text.Utf8($"new {i}"), [])).Dispose();
        }

        var recorded = await app.Admin.ListRequestsAsync(1, 100);
        Assert.Equal(["new 2", "new 1", "new 0"], recorded.Select(r => Encoding.UTF8.GetString(r.Body)));
    }

    [Theory]
    [InlineData(nameof(TelnyxWebhookOptions.RequestLogMaxCount))]
    [InlineData(nameof(TelnyxWebhookOptions.RequestLogMaxBytes))]
    [InlineData(nameof(TelnyxWebhookOptions.RejectedBodyBytesKept))]
    public async Task Bounds_out_of_range_stop_the_app_naming_the_option(string option)
    {
        using var sender = new TestSender();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(sender, TempFolder.Create(), o =>
        {
            switch (option)
            {
                case nameof(TelnyxWebhookOptions.RequestLogMaxCount):
                    o.RequestLogMaxCount = 0;
                    break;
                case nameof(TelnyxWebhookOptions.RequestLogMaxBytes):
                    o.RequestLogMaxBytes = 1000;
                    break;
                default:
                    o.RejectedBodyBytesKept = -1;
                    break;
            }
        }));
        Assert.Contains(option, error.Message, StringComparison.Ordinal);
    }

    private static Task<ReceiverApp> StartAsync(TestSender sender, string folder, Action<TelnyxWebhookOptions>? configure = null) => ReceiverApp.StartAsync(o =>
    {
        o.PublicKeys.Add(sender.PublicKey);
        o.DataDirectory = folder;
        o.RecordAllRequests = true;
        configure?.Invoke(o);
    });
}
