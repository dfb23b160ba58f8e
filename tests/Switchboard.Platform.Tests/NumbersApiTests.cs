using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Platform.Tests.Support;

namespace Switchboard.Platform.Tests;

/// <summary>
/// The numbers' side of the API as Telnyx's getting-started guides use it, in the spec's shapes: search the inventory,
/// order, list orders, a number's messaging and voice settings. Run on SQLite here and on PostgreSQL by
/// <see cref="PostgresNumbersApiTests"/>.
/// </summary>
public abstract class NumbersApiScenarios : IAsyncLifetime
{
    protected PlatformApp Platform { get; set; } = null!;

    public abstract Task InitializeAsync();

    public async Task DisposeAsync() => await Platform.DisposeAsync();

    private async Task<JsonElement> ListAsync(string path)
    {
        var (status, body) = await Platform.SendAsync(HttpMethod.Get, path);
        Assert.True(status == 200, $"GET {path} answered {status}: {body}");
        return body;
    }

    private static string[] Numbers(JsonElement list) => [.. list.GetProperty("data").EnumerateArray().Select(n => n.GetProperty("phone_number").GetString()!)];

    private Task<JsonElement> OrderAsync(JsonObject extra, params string[] numbers)
    {
        var body = new JsonObject { ["phone_numbers"] = new JsonArray([.. numbers.Select(n => (JsonNode)new JsonObject { ["phone_number"] = n })]) };
        foreach (var (name, value) in extra)
        {
            body[name] = value?.DeepClone();
        }

        return Platform.PostAsync("/v2/number_orders", body);
    }

    [Fact]
    public async Task Getting_started_search_order_and_find_the_number_by_the_id_the_order_list_gives()
    {
        var search = await ListAsync("/v2/available_phone_numbers?filter[country_code]=US&filter[locality]=Chicago&filter[features]=sms,voice&filter[limit]=3");
        var offered = Numbers(search);
        Assert.Equal(3, offered.Length);
        Assert.All(offered, n => Assert.StartsWith("+1312", n, StringComparison.Ordinal));
        var first = search.GetProperty("data")[0];
        Assert.Equal(("available_phone_number", false, true), (first.GetProperty("record_type").GetString(), first.GetProperty("best_effort").GetBoolean(), first.GetProperty("quickship").GetBoolean()));
        Assert.Contains(first.GetProperty("features").EnumerateArray(), f => f.GetProperty("name").GetString() == "sms");
        Assert.Contains(first.GetProperty("region_information").EnumerateArray(), r => r.GetProperty("region_type").GetString() == "state" && r.GetProperty("region_name").GetString() == "IL");
        Assert.Equal((3, 0), (search.GetProperty("meta").GetProperty("total_results").GetInt32(), search.GetProperty("metadata").GetProperty("best_effort_results").GetInt32()));

        var order = await OrderAsync([], offered[0]);
        var line = order.GetProperty("phone_numbers")[0];
        Assert.Equal(("number_order_phone_number", offered[0], "US", "local"),
            (line.GetProperty("record_type").GetString(), line.GetProperty("phone_number").GetString(), line.GetProperty("country_code").GetString(), line.GetProperty("phone_number_type").GetString()));
        // Optional strings the spec types as plain strings are left out, not null.
        foreach (var field in new[] { "billing_group_id", "connection_id", "customer_reference", "messaging_profile_id" })
        {
            Assert.False(order.TryGetProperty(field, out _), $"{field} should be left out: {order}");
        }

        // The line's id is its own: Telnyx has no phone number by that id. The list gives the number's id.
        var lineId = line.GetProperty("id").GetString()!;
        Assert.True(Guid.TryParse(lineId, out _));
        Assert.Equal(404, (await Platform.SendAsync(HttpMethod.Get, $"/v2/phone_numbers/{lineId}")).Status);
        var orders = await ListAsync("/v2/number_orders");
        var listed = orders.GetProperty("data")[0].GetProperty("phone_numbers")[0];
        var number = await Platform.GetAsync($"/v2/phone_numbers/{listed.GetProperty("id").GetString()}");
        Assert.Equal(offered[0], number.GetProperty("phone_number").GetString());
        Assert.Equal(order.GetProperty("id").GetString(), (await Platform.GetAsync($"/v2/number_orders/{order.GetProperty("id").GetString()}")).GetProperty("id").GetString());

        // The same search again: the same numbers, except the one now on the account.
        var again = Numbers(await ListAsync("/v2/available_phone_numbers?filter[country_code]=US&filter[locality]=Chicago&filter[features]=sms,voice&filter[limit]=3"));
        Assert.DoesNotContain(offered[0], again);
        Assert.Equal(offered[1..], again[..2]);
    }

    [Fact]
    public async Task An_order_line_has_its_own_uuid_and_the_optional_strings_not_given_are_left_out()
    {
        var order = await OrderAsync(new JsonObject { ["customer_reference"] = "ref", ["billing_group_id"] = null }, "+18445551030");

        var line = order.GetProperty("phone_numbers")[0];
        var lineId = line.GetProperty("id").GetString()!;
        Assert.True(Guid.TryParse(lineId, out _), lineId);
        Assert.Equal(("toll_free", "US", "approved"), (line.GetProperty("phone_number_type").GetString(), line.GetProperty("country_code").GetString(), line.GetProperty("requirements_status").GetString()));
        Assert.Equal(404, (await Platform.SendAsync(HttpMethod.Get, $"/v2/phone_numbers/{lineId}")).Status);
        Assert.Equal("ref", order.GetProperty("customer_reference").GetString());
        Assert.DoesNotContain(order.EnumerateObject(), p => p.Name is "connection_id" or "messaging_profile_id" or "billing_group_id");
        Assert.Equal(order.ToString(), (await Platform.GetAsync($"/v2/number_orders/{order.GetProperty("id").GetString()}")).ToString());
    }

    [Fact]
    public async Task A_search_filters_by_pattern_type_and_features_and_finds_nothing_as_an_empty_list()
    {
        Assert.All(Numbers(await ListAsync("/v2/available_phone_numbers?filter[phone_number][starts_with]=415&filter[limit]=5")),
            n => Assert.StartsWith("+1415", n, StringComparison.Ordinal));
        Assert.All(Numbers(await ListAsync("/v2/available_phone_numbers?filter[phone_number][ends_with]=4242&filter[limit]=5")),
            n => Assert.EndsWith("4242", n, StringComparison.Ordinal));
        var contains = Numbers(await ListAsync("/v2/available_phone_numbers?filter[national_destination_code]=212&filter[phone_number][contains]=777&filter[limit]=5"));
        Assert.NotEmpty(contains);
        Assert.All(contains, n => Assert.Contains("777", n[5..], StringComparison.Ordinal));
        var tollFree = await ListAsync("/v2/available_phone_numbers?filter[phone_number_type]=toll_free&filter[limit]=2");
        Assert.All(Numbers(tollFree), n => Assert.Matches(@"^\+18(44|55|66|77|88)", n));
        Assert.Empty(Numbers(await ListAsync("/v2/available_phone_numbers?filter[country_code]=GB&filter[locality]=London&filter[features]=sms")));
        Assert.Equal(3, Numbers(await ListAsync("/v2/available_phone_numbers?filter[country_code]=GB&filter[locality]=London&filter[limit]=3")).Length);

        var none = await ListAsync("/v2/available_phone_numbers?filter[national_destination_code]=312&filter[phone_number][starts_with]=999");
        Assert.Equal((0, 0), (none.GetProperty("data").GetArrayLength(), none.GetProperty("meta").GetProperty("total_results").GetInt32()));
        var bestEffort = await ListAsync("/v2/available_phone_numbers?filter[national_destination_code]=312&filter[phone_number][starts_with]=999&filter[best_effort]=true&filter[limit]=4");
        Assert.Equal(4, bestEffort.GetProperty("data").GetArrayLength());
        Assert.All(bestEffort.GetProperty("data").EnumerateArray(), n => Assert.True(n.GetProperty("best_effort").GetBoolean()));
        Assert.Equal(4, bestEffort.GetProperty("metadata").GetProperty("best_effort_results").GetInt32());

        // Every number offered can be ordered.
        var all = Numbers(await ListAsync("/v2/available_phone_numbers?filter[country_code]=CA&filter[limit]=100"));
        Assert.Equal(100, all.Length);
        await OrderAsync([], all);
    }

    [Theory]
    [InlineData("filter[phone_number_type]=landline", "filter[phone_number_type]")]
    [InlineData("filter[features]=sms,telepathy", "filter[features]")]
    [InlineData("filter[limit]=0", "filter[limit]")]
    [InlineData("filter[limit]=1000", "filter[limit]")]
    [InlineData("filter[best_effort]=maybe", "filter[best_effort]")]
    [InlineData("filter[country_code]=USA", "filter[country_code]")]
    [InlineData("filter[phone_number][contains]=12-34", "filter[phone_number][contains]")]
    public async Task A_search_with_a_value_the_spec_does_not_allow_answers_422_naming_the_parameter(string query, string parameter)
    {
        var (status, body) = await Platform.SendAsync(HttpMethod.Get, $"/v2/available_phone_numbers?{query}");

        Assert.Equal(422, status);
        Assert.Equal(parameter, body.GetProperty("errors")[0].GetProperty("source").GetProperty("parameter").GetString());
    }

    [Fact]
    public async Task Number_orders_are_listed_newest_first_with_the_specs_filters_and_paging()
    {
        var first = await OrderAsync(new JsonObject { ["customer_reference"] = "Ref-A" }, "+13125551001");
        var second = await OrderAsync(new JsonObject { ["customer_reference"] = "ref-a" }, "+13125551002", "+13125551003");
        var third = await OrderAsync([], "+13125551004");

        var page = await ListAsync("/v2/number_orders?page[size]=2");
        Assert.Equal(new[] { third, second }.Select(o => o.GetProperty("id").GetString()), page.GetProperty("data").EnumerateArray().Select(o => o.GetProperty("id").GetString()));
        Assert.Equal((2, 3L), (page.GetProperty("meta").GetProperty("total_pages").GetInt32(), page.GetProperty("meta").GetProperty("total_results").GetInt64()));
        var listed = page.GetProperty("data")[1];
        Assert.Equal(["id", "phone_number"], listed.GetProperty("phone_numbers")[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, listed.GetProperty("phone_numbers_count").GetInt32());

        string[] Ids(JsonElement list) => [.. list.GetProperty("data").EnumerateArray().Select(o => o.GetProperty("id").GetString()!)];
        Assert.Equal([first.GetProperty("id").GetString()!], Ids(await ListAsync("/v2/number_orders?filter[customer_reference]=Ref-A")));
        Assert.Equal([second.GetProperty("id").GetString()!], Ids(await ListAsync("/v2/number_orders?filter[phone_numbers_count]=2")));
        Assert.Empty(Ids(await ListAsync("/v2/number_orders?filter[status]=pending")));
        Assert.Equal(3, Ids(await ListAsync("/v2/number_orders?filter[status]=success&filter[requirements_met]=true")).Length);
        var secondAt = second.GetProperty("created_at").GetDateTimeOffset().ToString("O");
        Assert.Equal([third.GetProperty("id").GetString()!], Ids(await ListAsync($"/v2/number_orders?filter[created_at][gt]={Uri.EscapeDataString(secondAt)}")));
        Assert.Equal([first.GetProperty("id").GetString()!], Ids(await ListAsync($"/v2/number_orders?filter[created_at][lt]={Uri.EscapeDataString(secondAt)}")));
        var (bad, body) = await Platform.SendAsync(HttpMethod.Get, "/v2/number_orders?filter[created_at][gt]=yesterday");
        Assert.Equal((422, "filter[created_at][gt]"), (bad, body.GetProperty("errors")[0].GetProperty("source").GetProperty("parameter").GetString()));
    }

    [Fact]
    public async Task A_profiles_numbers_and_the_messaging_list_are_messaging_settings_and_the_fixed_path_wins_over_an_id()
    {
        var (profileId, number) = await Platform.ProfileWithNumberAsync(null, number: "+13125551010");
        await OrderAsync([], "+18445551011");

        var ofProfile = (await ListAsync($"/v2/messaging_profiles/{profileId}/phone_numbers")).GetProperty("data").EnumerateArray().Single();
        var single = await Platform.GetAsync($"/v2/phone_numbers/{number}/messaging");
        Assert.Equal(single.ToString(), ofProfile.ToString());
        Assert.Equal(("messaging_settings", "long-code", profileId), (ofProfile.GetProperty("record_type").GetString(), ofProfile.GetProperty("type").GetString(), ofProfile.GetProperty("messaging_profile_id").GetString()));
        Assert.True(ofProfile.GetProperty("features").GetProperty("sms").GetProperty("domestic_two_way").GetBoolean());
        Assert.False(ofProfile.TryGetProperty("status", out _));

        var all = await ListAsync("/v2/phone_numbers/messaging?sort[phone_number]=asc");
        Assert.Equal(["+13125551010", "+18445551011"], Numbers(all));
        Assert.All(all.GetProperty("data").EnumerateArray(), n => Assert.Equal("messaging_settings", n.GetProperty("record_type").GetString()));
        Assert.Equal(["+18445551011"], Numbers(await ListAsync("/v2/phone_numbers/messaging?filter[type]=tollfree")));
        Assert.Equal(["+13125551010"], Numbers(await ListAsync("/v2/phone_numbers/messaging?filter[type]=longcode")));
        Assert.Equal(["+13125551010"], Numbers(await ListAsync($"/v2/phone_numbers/messaging?filter[messaging_profile_id]={profileId}")));
        Assert.Equal(["+18445551011", "+13125551010"], Numbers(await ListAsync("/v2/phone_numbers/messaging?filter[phone_number]=%2B13125551010,%2B18445551011&sort[phone_number]=desc")));
        Assert.Equal(["+18445551011"], Numbers(await ListAsync("/v2/phone_numbers/messaging?filter[phone_number][contains]=5551011")));
        Assert.Empty(Numbers(await ListAsync("/v2/phone_numbers/messaging?filter[type]=shortcode")));
        Assert.Equal(422, (await Platform.SendAsync(HttpMethod.Get, "/v2/phone_numbers/messaging?filter[type]=fax")).Status);
    }

    [Fact]
    public async Task Voice_settings_have_the_specs_defaults_and_a_patch_keeps_what_it_does_not_name()
    {
        var application = (await Platform.PostAsync("/v2/call_control_applications",
            new JsonObject { ["application_name"] = "voice", ["webhook_event_url"] = "https://example.com/hooks" })).GetProperty("id").GetString()!;
        await OrderAsync(new JsonObject { ["connection_id"] = application }, "+13125551020");

        var voice = await Platform.GetAsync("/v2/phone_numbers/+13125551020/voice");
        Assert.Equal(("voice_settings", application, false, "pay-per-minute", "disabled", ""),
            (voice.GetProperty("record_type").GetString(), voice.GetProperty("connection_id").GetString(), voice.GetProperty("tech_prefix_enabled").GetBoolean(),
                voice.GetProperty("usage_payment_method").GetString(), voice.GetProperty("inbound_call_screening").GetString(), voice.GetProperty("translated_number").GetString()));
        Assert.False(voice.TryGetProperty("customer_reference", out _));
        Assert.True(voice.GetProperty("media_features").GetProperty("rtp_auto_adjust_enabled").GetBoolean());

        var id = voice.GetProperty("id").GetString();
        await Platform.OkAsync(HttpMethod.Patch, $"/v2/phone_numbers/{id}/voice", new JsonObject
        {
            ["tech_prefix_enabled"] = true,
            ["call_forwarding"] = new JsonObject { ["call_forwarding_enabled"] = true, ["forwarding_type"] = "on-failure", ["forwards_to"] = "+13035559123" },
            ["call_recording"] = new JsonObject { ["inbound_call_recording_enabled"] = true, ["inbound_call_recording_format"] = "mp3" },
        });
        var patched = await Platform.OkAsync(HttpMethod.Patch, $"/v2/phone_numbers/{id}/voice", new JsonObject { ["usage_payment_method"] = "channel" });
        Assert.Equal((true, "channel", "on-failure", "+13035559123", true, "mp3", "single"),
            (patched.GetProperty("tech_prefix_enabled").GetBoolean(), patched.GetProperty("usage_payment_method").GetString(),
                patched.GetProperty("call_forwarding").GetProperty("forwarding_type").GetString(), patched.GetProperty("call_forwarding").GetProperty("forwards_to").GetString(),
                patched.GetProperty("call_recording").GetProperty("inbound_call_recording_enabled").GetBoolean(),
                patched.GetProperty("call_recording").GetProperty("inbound_call_recording_format").GetString(),
                patched.GetProperty("call_recording").GetProperty("inbound_call_recording_channels").GetString()));
        Assert.Equal(patched.ToString(), (await Platform.GetAsync($"/v2/phone_numbers/{id}/voice")).ToString());
        Assert.True((await Platform.GetAsync($"/v2/phone_numbers/{id}")).GetProperty("call_recording_enabled").GetBoolean());

        var (bad, body) = await Platform.SendAsync(HttpMethod.Patch, $"/v2/phone_numbers/{id}/voice",
            """{"usage_payment_method":"free","call_forwarding":{"forwards_to":"303-555"},"tech_prefix_enabled":false}""");
        Assert.Equal(422, bad);
        Assert.Equal(["/call_forwarding/forwards_to", "/usage_payment_method"], body.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("source").GetProperty("pointer").GetString()).Order());
        Assert.True((await Platform.GetAsync($"/v2/phone_numbers/{id}/voice")).GetProperty("tech_prefix_enabled").GetBoolean());
        Assert.Equal(404, (await Platform.SendAsync(HttpMethod.Get, "/v2/phone_numbers/1999/voice")).Status);

        // Deleting the number deletes its settings: ordered again, it starts from the defaults.
        await Platform.OkAsync(HttpMethod.Delete, $"/v2/phone_numbers/{id}");
        await OrderAsync([], "+13125551020");
        Assert.False((await Platform.GetAsync("/v2/phone_numbers/+13125551020/voice")).GetProperty("tech_prefix_enabled").GetBoolean());
    }
}

public sealed class NumbersApiTests : NumbersApiScenarios
{
    public override async Task InitializeAsync() => Platform = await PlatformApp.StartAsync();

    [Fact]
    public async Task An_order_stored_before_its_lines_had_their_own_ids_is_still_read_and_listed()
    {
        // As the previous version stored an order: the order itself, each line's id the number's id.
        const string Body = """{"id":"0b6a3c1e-4a57-4f2b-9d7e-1e1c1f0a0001","record_type":"number_order","status":"success","phone_numbers":[{"id":"1293384261075731499","phone_number":"\u002B13125559000","country_iso_alpha2":"US","record_type":"number_order_phone_number","status":"success","phone_number_type":"local","requirements_met":true,"requirements_status":"approved"}],"phone_numbers_count":1,"messaging_profile_id":null,"connection_id":null,"billing_group_id":null,"customer_reference":"old","requirements_met":true,"sub_number_orders_ids":[],"created_at":"2026-01-01T00:00:00.000Z","updated_at":"2026-01-01T00:00:00.000Z"}""";
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(Platform.Folder, Hosting.PlatformHost.DatabaseFile)};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var insert = connection.CreateCommand();
            insert.CommandText = "PRAGMA busy_timeout = 10000; INSERT INTO work_documents (kind, id, version, body, created_at, updated_at) VALUES ('number_order', '0b6a3c1e-4a57-4f2b-9d7e-1e1c1f0a0001', 1, $body, 1767225600000, 1767225600000)";
            insert.Parameters.AddWithValue("$body", Body);
            await insert.ExecuteNonQueryAsync();
        }

        var order = await Platform.GetAsync("/v2/number_orders/0b6a3c1e-4a57-4f2b-9d7e-1e1c1f0a0001");
        Assert.Equal(("+13125559000", 1, "old"), (order.GetProperty("phone_numbers")[0].GetProperty("phone_number").GetString(), order.GetProperty("phone_numbers_count").GetInt32(), order.GetProperty("customer_reference").GetString()));
        Assert.False(order.TryGetProperty("connection_id", out _));
        var listed = (await Platform.OkAsync(HttpMethod.Get, "/v2/number_orders?filter[customer_reference]=old")).EnumerateArray().Single();
        Assert.Equal("1293384261075731499", listed.GetProperty("phone_numbers")[0].GetProperty("id").GetString());
    }
}

[Collection(PostgresServer.Collection)]
public sealed class PostgresNumbersApiTests(PostgresServer server) : NumbersApiScenarios
{
    public override async Task InitializeAsync()
    {
        var database = await server.CreateDatabaseAsync();
        Platform = await PlatformApp.StartAsync(options => options.PostgresConnectionString = database.ConnectionString);
    }
}
