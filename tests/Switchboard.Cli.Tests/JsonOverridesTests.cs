using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Cli.Commands;

namespace Switchboard.Cli.Tests;

/// <summary>The <c>--set PATH=VALUE</c> / <c>PATH:=JSON</c> overrides, applied to a document directly.</summary>
public sealed class JsonOverridesTests
{
    private static JsonNode Document() => JsonNode.Parse("""
        {"data":{"event_type":"message.sent","payload":{"text":"Hello!","parts":1,"to":[{"phone_number":"+1","status":"sent"},{"phone_number":"+2"}],"cc":[]}}}
        """)!;

    private static JsonNode Apply(params string[] assignments)
    {
        var document = Document();
        foreach (var assignment in assignments)
        {
            Assert.True(JsonOverrides.TryApply(document, assignment, out var error), error);
        }

        return document;
    }

    private static string Refuse(string assignment)
    {
        var document = Document();
        var before = document.ToJsonString();
        Assert.False(JsonOverrides.TryApply(document, assignment, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.Equal(before, document.ToJsonString());
        return error;
    }

    [Fact]
    public void Plain_value_is_set_as_a_string()
    {
        var payload = Apply("data.payload.text=hi", "data.payload.parts=3")["data"]!["payload"]!;
        Assert.Equal("hi", payload["text"]!.GetValue<string>());
        Assert.Equal(JsonValueKind.String, payload["parts"]!.GetValueKind());
        Assert.Equal("3", payload["parts"]!.GetValue<string>());
    }

    [Fact]
    public void Json_value_keeps_its_type()
    {
        var payload = Apply("data.payload.parts:=3", "data.payload.cost:={\"amount\":\"0.01\"}", "data.payload.tags:=[\"a\",\"b\"]",
            "data.payload.subject:=null", "data.payload.flag:=true", "data.payload.quoted:=\"x\"")["data"]!["payload"]!;

        Assert.Equal(3, payload["parts"]!.GetValue<int>());
        Assert.Equal("0.01", payload["cost"]!["amount"]!.GetValue<string>());
        Assert.Equal(2, payload["tags"]!.AsArray().Count);
        Assert.True(payload.AsObject().ContainsKey("subject"));
        Assert.Null(payload["subject"]);
        Assert.True(payload["flag"]!.GetValue<bool>());
        Assert.Equal("x", payload["quoted"]!.GetValue<string>());
    }

    [Fact]
    public void Value_may_contain_equals_signs_and_be_empty()
    {
        var payload = Apply("data.payload.text=a=b==c", "data.payload.subject=")["data"]!["payload"]!;
        Assert.Equal("a=b==c", payload["text"]!.GetValue<string>());
        Assert.Equal("", payload["subject"]!.GetValue<string>());
    }

    [Fact]
    public void Numeric_segment_indexes_an_array()
    {
        var to = Apply("data.payload.to.0.status=delivered", "data.payload.to.1.carrier=Telnyx", "data.payload.to.1.phone_number:=null")["data"]!["payload"]!["to"]!;
        Assert.Equal("delivered", to[0]!["status"]!.GetValue<string>());
        Assert.Equal("Telnyx", to[1]!["carrier"]!.GetValue<string>());
        Assert.Null(to[1]!["phone_number"]);
    }

    [Fact]
    public void Numeric_segment_at_the_end_replaces_the_element()
    {
        var to = Apply("data.payload.to.1:={\"phone_number\":\"+3\"}")["data"]!["payload"]!["to"]!;
        Assert.Equal("+3", to[1]!["phone_number"]!.GetValue<string>());
    }

    [Fact]
    public void Missing_objects_are_created_along_the_path()
    {
        var document = Apply("data.payload.new.deeper.deepest=x", "meta.attempt:=2");
        Assert.Equal("x", document["data"]!["payload"]!["new"]!["deeper"]!["deepest"]!.GetValue<string>());
        Assert.Equal(2, document["meta"]!["attempt"]!.GetValue<int>());
    }

    [Fact]
    public void Numeric_segment_on_an_object_is_a_property_name()
    {
        var payload = Apply("data.payload.0=zero")["data"]!["payload"]!;
        Assert.Equal("zero", payload["0"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("", "is not PATH=VALUE")]
    [InlineData("novalue", "is not PATH=VALUE")]
    [InlineData("=x", "is not PATH=VALUE")]
    [InlineData("data.payload.parts:={", "not JSON")]
    [InlineData("data.payload.parts:=", "not JSON")]
    [InlineData("data.payload.to.2.status=x", "index 2 is past the end of an array of 2")]
    [InlineData("data.payload.cc.0.status=x", "index 0 is past the end of an array of 0")]
    [InlineData("data.payload.text.more=x", "'data.payload.text' is not an object or array")]
    [InlineData("data.payload.to.first.status=x", "'data.payload.to'")]
    [InlineData("data.payload.to.-1=x", "'data.payload.to'")]
    public void Bad_assignments_are_refused_with_a_reason_and_change_nothing(string assignment, string reason) =>
        Assert.Contains(reason, Refuse(assignment), StringComparison.Ordinal);

    [Theory]
    [InlineData(":=3")]
    [InlineData(".=x")]
    [InlineData("data..text=x")]
    [InlineData("data.payload.=x")]
    [InlineData(".data=x")]
    public void Paths_with_empty_segments_are_refused(string assignment) =>
        Assert.Contains("empty", Refuse(assignment), StringComparison.Ordinal);
}
