using System.Text.Json.Nodes;
using Switchboard.Platform.Tests.Support;

namespace Switchboard.Platform.Tests;

/// <summary>
/// What the API refuses: each bad request gets a 4xx in Telnyx's error shape, with the code and a pointer to what is
/// wrong, and leaves nothing behind: no message stored, no webhook published.
/// </summary>
public sealed class BadRequestTests : IAsyncLifetime
{
    private WebhookSink _sink = null!;
    private PlatformApp _platform = null!;
    private string _profileId = "";
    private const string Number = "+18445550001";

    public async Task InitializeAsync()
    {
        _sink = await WebhookSink.StartAsync();
        _platform = await PlatformApp.StartAsync();
        (_profileId, _) = await _platform.ProfileWithNumberAsync(_sink.Url("/hooks"), number: Number);
        await _platform.PostAsync("/v2/number_orders", new JsonObject { ["phone_numbers"] = new JsonArray(new JsonObject { ["phone_number"] = "+18445550009" }) });
    }

    public async Task DisposeAsync()
    {
        await _platform.DisposeAsync();
        await _sink.DisposeAsync();
    }

    public static TheoryData<string, string, int, string, string> BadMessages => new()
    {
        { "unknown profile", """{"to":"+13125550100","text":"hi","messaging_profile_id":"no-such-profile"}""", 422, "10017", "/messaging_profile_id" },
        { "from not on the account", """{"from":"+18445559999","to":"+13125550100","text":"hi"}""", 422, "10015", "/from" },
        { "from on no profile", """{"from":"+18445550009","to":"+13125550100","text":"hi"}""", 422, "10015", "/from" },
        { "to not E.164", """{"from":"+18445550001","to":"3125550100","text":"hi"}""", 422, "10016", "/to" },
        { "from not E.164", """{"from":"18445550001","to":"+13125550100","text":"hi"}""", 422, "10016", "/from" },
        { "no to", """{"from":"+18445550001","text":"hi"}""", 422, "10004", "/to" },
        { "neither text nor media", """{"from":"+18445550001","to":"+13125550100"}""", 422, "10004", "/text" },
        { "to of the wrong type", """{"from":"+18445550001","to":13125550100,"text":"hi"}""", 422, "10015", "/to" },
        { "text of the wrong type", """{"from":"+18445550001","to":"+13125550100","text":["hi"]}""", 422, "10015", "/text" },
        { "bad type", """{"from":"+18445550001","to":"+13125550100","text":"hi","type":"FAX"}""", 422, "10015", "/type" },
        { "bad webhook URL", """{"from":"+18445550001","to":"+13125550100","text":"hi","webhook_url":"ftp://x"}""", 422, "10003", "/webhook_url" },
        { "bad media URL", """{"from":"+18445550001","to":"+13125550100","media_urls":["not a url"]}""", 422, "10003", "/media_urls/0" },
        { "webhook URL with a line break", """{"from":"+18445550001","to":"+13125550100","text":"hi","webhook_url":"https://example.com/a\r\nX-Extra: 1"}""", 422, "10003", "/webhook_url" },
        { "webhook URL with an escape sequence", """{"from":"+18445550001","to":"+13125550100","text":"hi","webhook_url":"https://example.com/\u001b[2J"}""", 422, "10003", "/webhook_url" },
        { "webhook URL with a space before it", """{"from":"+18445550001","to":"+13125550100","text":"hi","webhook_url":" https://example.com/"}""", 422, "10003", "/webhook_url" },
        { "media URL with a line break", """{"from":"+18445550001","to":"+13125550100","media_urls":["https://example.com/a.png\r\n"]}""", 422, "10003", "/media_urls/0" },
        { "destination not whitelisted", """{"from":"+18445550001","to":"+447700900123","text":"hi"}""", 422, "10015", "/to" },
    };

    [Theory]
    [MemberData(nameof(BadMessages))]
    public async Task A_bad_message_is_refused_with_its_code_and_pointer_and_nothing_is_stored_or_sent(string why, string body, int status, string code, string pointer)
    {
        var (answer, json) = await _platform.SendAsync(HttpMethod.Post, "/v2/messages", body);

        Assert.True(answer == status, $"{why}: {answer} {json}");
        var error = json.GetProperty("errors")[0];
        Assert.Equal((code, pointer), (error.GetProperty("code").GetString(), error.GetProperty("source").GetProperty("pointer").GetString()));
        Assert.False(string.IsNullOrEmpty(error.GetProperty("detail").GetString()));
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_megabyte_of_text_is_refused_pointing_at_the_text()
    {
        var body = new JsonObject { ["from"] = Number, ["to"] = "+13125550100", ["text"] = new string('a', 1_000_000) };

        var (status, json) = await _platform.SendAsync(HttpMethod.Post, "/v2/messages", body);

        Assert.Equal(422, status);
        Assert.Equal("/text", json.GetProperty("errors")[0].GetProperty("source").GetProperty("pointer").GetString());
        await AssertNothingStoredAsync();
    }

    [Theory]
    [InlineData("/v2/messages", "MMS", 5_001, 0)]
    [InlineData("/v2/messages", "MMS", 10, 65)]
    [InlineData("/_switchboard/inbound_messages", "MMS", 5_001, 0)]
    [InlineData("/_switchboard/inbound_messages", "SMS", 5_001, 0)]
    public async Task A_message_text_or_subject_past_its_limit_is_refused_pointing_at_it(string path, string type, int textLength, int subjectLength)
    {
        var body = new JsonObject
        {
            ["from"] = path == "/v2/messages" ? Number : "+13125550100",
            ["to"] = path == "/v2/messages" ? "+13125550100" : Number,
            ["type"] = type,
            ["text"] = new string('a', textLength),
            ["media_urls"] = type == "MMS" ? new JsonArray("https://example.com/a.png") : null,
        };
        if (subjectLength > 0)
        {
            body["subject"] = new string('s', subjectLength);
        }

        var (status, json) = await _platform.SendAsync(HttpMethod.Post, path, body);

        Assert.True(status == 422, $"{status} {json}");
        var error = json.GetProperty("errors")[0];
        Assert.Equal(("10015", subjectLength > 0 ? "/subject" : "/text"), (error.GetProperty("code").GetString(), error.GetProperty("source").GetProperty("pointer").GetString()));
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task An_mms_text_at_its_limit_is_accepted()
    {
        var body = new JsonObject { ["from"] = Number, ["to"] = "+13125550100", ["type"] = "MMS", ["text"] = new string('a', 5_000), ["subject"] = new string('s', 64) };

        var (status, json) = await _platform.SendAsync(HttpMethod.Post, "/v2/messages", body);

        Assert.True(status == 200, $"{status} {json}");
    }

    [Fact]
    public async Task A_body_past_the_limit_is_refused_unread_with_413()
    {
        var body = $$"""{"from":"+18445550001","to":"+13125550100","text":"{{new string('a', 2_000_000)}}"}""";

        var (status, json) = await _platform.SendAsync(HttpMethod.Post, "/v2/messages", body);

        Assert.Equal(413, status);
        Assert.Equal("10015", json.GetProperty("errors")[0].GetProperty("code").GetString());
        await AssertNothingStoredAsync();
    }

    [Theory]
    [InlineData("{\"from\": ", 400, "10023")]
    [InlineData("[1,2]", 400, "10023")]
    [InlineData("", 400, "10023")]
    public async Task A_body_that_is_not_a_json_object_gets_400(string body, int status, string code)
    {
        var (answer, json) = await _platform.SendAsync(HttpMethod.Post, "/v2/messages", body);

        Assert.Equal(status, answer);
        Assert.Equal(code, json.GetProperty("errors")[0].GetProperty("code").GetString());
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_body_that_is_not_utf8_gets_400()
    {
        byte[] body = [.. """{"from":"+18445550001","to":"+13125550100","text":"hi """u8, 0xFF, 0xFE, .. "\"}"u8];

        var (status, json) = await _platform.SendAsync(HttpMethod.Post, "/v2/messages", body);

        Assert.Equal(400, status);
        Assert.Equal("10023", json.GetProperty("errors")[0].GetProperty("code").GetString());
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_body_with_a_field_given_twice_gets_400_rather_than_one_of_them_picked()
    {
        var (status, json) = await _platform.SendAsync(HttpMethod.Post, "/v2/messages",
            """{"from":"+18445550001","to":"+13125550100","text":"hi","to":"+13125550199"}""");

        Assert.Equal(400, status);
        Assert.Equal("10023", json.GetProperty("errors")[0].GetProperty("code").GetString());
        await AssertNothingStoredAsync();
    }

    [Theory]
    [InlineData("""{"from":"+18445550001","to":"+13125550100","text":"hi \ud800 there"}""", "/text")]
    [InlineData("""{"from":"+18445550001","to":"+13125550100","media_urls":["https://example.com/\udc00.png"]}""", "/media_urls/0")]
    public async Task A_string_with_an_unpaired_surrogate_escape_gets_422_pointing_at_it(string body, string pointer)
    {
        var (status, json) = await _platform.SendAsync(HttpMethod.Post, "/v2/messages", body);

        Assert.Equal(422, status);
        Assert.Equal(pointer, json.GetProperty("errors")[0].GetProperty("source").GetProperty("pointer").GetString());
        await AssertNothingStoredAsync();
    }

    public static TheoryData<string, string, string, string> UrlFields => new()
    {
        { "POST", "/v2/messages", """{"from":"+18445550001","to":"+13125550100","text":"hi","webhook_url":"URL"}""", "/webhook_url" },
        { "POST", "/v2/messages", """{"from":"+18445550001","to":"+13125550100","text":"hi","webhook_failover_url":"URL"}""", "/webhook_failover_url" },
        { "POST", "/v2/messages", """{"from":"+18445550001","to":"+13125550100","media_urls":["URL"]}""", "/media_urls/0" },
        { "POST", "/v2/messaging_profiles", """{"name":"p","webhook_url":"URL"}""", "/webhook_url" },
        { "POST", "/v2/messaging_profiles", """{"name":"p","webhook_failover_url":"URL"}""", "/webhook_failover_url" },
        { "POST", "/v2/call_control_applications", """{"application_name":"a","webhook_event_url":"URL"}""", "/webhook_event_url" },
        { "POST", "/v2/call_control_applications", """{"application_name":"a","webhook_event_url":"https://example.com/ok","webhook_event_failover_url":"URL"}""", "/webhook_event_failover_url" },
        { "POST", "/v2/calls", """{"from":"+18445550001","to":"+13125550100","webhook_url":"URL"}""", "/webhook_url" },
        { "PUT", "/_switchboard/global_webhooks", """{"webhook_url":"URL"}""", "/webhook_url" },
    };

    [Theory]
    [MemberData(nameof(UrlFields))]
    public async Task A_url_with_an_invisible_format_character_is_refused_in_every_url_field(string method, string path, string template, string pointer)
    {
        // Right-to-left override, zero-width space, byte order mark, Arabic letter mark (all Unicode Cf): invisible
        // or reordering on a page, percent-encoded on the wire, so what is shown would not be what is requested.
        foreach (var invisible in new[] { "\u202E", "\u200B", "\uFEFF", "\u061C" })
        {
            var body = template.Replace("URL", $"https://example.com/{invisible}gpj.exe", StringComparison.Ordinal);

            var (status, json) = await _platform.SendAsync(new HttpMethod(method), path, body);

            Assert.True(status == 422, $"{invisible} in {path} {pointer}: {status} {json}");
            Assert.Contains(json.GetProperty("errors").EnumerateArray(), e =>
                e.GetProperty("code").GetString() == "10003" && e.GetProperty("source").GetProperty("pointer").GetString() == pointer);
        }

        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_body_that_is_not_json_gets_415()
    {
        using var content = new StringContent("from=+1", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");
        using var response = await _platform.Client.PostAsync("/v2/messages", content);

        Assert.Equal(415, (int)response.StatusCode);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Several_problems_are_reported_together()
    {
        var (status, json) = await _platform.SendAsync(HttpMethod.Post, "/v2/messages", """{"from":"+1","to":"+1","type":"FAX"}""");

        Assert.Equal(422, status);
        var pointers = json.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("source").GetProperty("pointer").GetString()).Order();
        Assert.Equal(["/from", "/text", "/to", "/type"], pointers);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Without_the_api_key_or_with_another_every_endpoint_answers_401_in_telnyx_shape()
    {
        using var anonymous = new HttpClient { BaseAddress = _platform.Client.BaseAddress };
        using var stranger = new HttpClient { BaseAddress = _platform.Client.BaseAddress };
        stranger.DefaultRequestHeaders.Authorization = new("Bearer", "KEY-not-this-one-000000");

        foreach (var client in new[] { anonymous, stranger })
        {
            foreach (var path in new[] { "/v2/messaging_profiles", "/v2/webhook_deliveries", "/v2/phone_numbers", "/_switchboard/global_webhooks" })
            {
                using var response = await client.GetAsync(path);
                Assert.Equal(401, (int)response.StatusCode);
                var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                Assert.Equal("10009", json.GetProperty("errors")[0].GetProperty("code").GetString());
                Assert.DoesNotContain("not-this-one", json.ToString(), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Unknown_resources_and_endpoints_get_404_and_bad_paging_400()
    {
        var (missing, json) = await _platform.SendAsync(HttpMethod.Get, "/v2/messages/no-such-message");
        var (unknown, _) = await _platform.SendAsync(HttpMethod.Get, "/v2/faxes");
        var (paging, pagingJson) = await _platform.SendAsync(HttpMethod.Get, "/v2/messaging_profiles?page[size]=1000");

        Assert.Equal((404, "10005"), (missing, json.GetProperty("errors")[0].GetProperty("code").GetString()));
        Assert.Equal(404, unknown);
        Assert.Equal((400, "page[size]"), (paging, pagingJson.GetProperty("errors")[0].GetProperty("source").GetProperty("parameter").GetString()));
    }

    [Fact]
    public async Task Profiles_and_orders_are_validated_too()
    {
        var (noName, nameJson) = await _platform.SendAsync(HttpMethod.Post, "/v2/messaging_profiles", """{"whitelisted_destinations":["US"]}""");
        var (badCountry, countryJson) = await _platform.SendAsync(HttpMethod.Post, "/v2/messaging_profiles", """{"name":"x","whitelisted_destinations":["usa"]}""");
        var (duplicate, duplicateJson) = await _platform.SendAsync(HttpMethod.Post, "/v2/number_orders", $$"""{"phone_numbers":[{"phone_number":"{{Number}}"}]}""");
        var (inUse, inUseJson) = await _platform.SendAsync(HttpMethod.Delete, $"/v2/messaging_profiles/{_profileId}");

        Assert.Equal((422, "/name"), (noName, Pointer(nameJson)));
        Assert.Equal((422, "/whitelisted_destinations/0"), (badCountry, Pointer(countryJson)));
        Assert.Equal((422, "/phone_numbers/0/phone_number", "10012"), (duplicate, Pointer(duplicateJson), duplicateJson.GetProperty("errors")[0].GetProperty("code").GetString()));
        Assert.Equal((422, "10021"), (inUse, inUseJson.GetProperty("errors")[0].GetProperty("code").GetString()));

        static string? Pointer(System.Text.Json.JsonElement json) => json.GetProperty("errors")[0].GetProperty("source").GetProperty("pointer").GetString();
    }

    private async Task AssertNothingStoredAsync()
    {
        Assert.Equal(0, await _platform.CountResourcesAsync("message"));
        Assert.Equal(0, await _platform.CountDeliveriesAsync());
        Assert.Empty(_sink.Received);
    }
}
