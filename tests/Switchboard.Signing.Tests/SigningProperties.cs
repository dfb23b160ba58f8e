using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;

namespace Switchboard.Signing.Tests;

/// <summary>
/// Properties every scheme must have: what is signed verifies within the tolerance, and changing any single
/// byte of the body, the timestamp header or the signature (or re-serialising the JSON) makes it fail.
/// </summary>
public sealed class SigningProperties
{
    /// <summary>One scheme as the properties see it: how to sign, verify, and reach the raw signature bytes.</summary>
    public sealed record Scheme(
        string Name,
        IWebhookSigner Signer,
        Func<TimeProvider, IWebhookVerifier> Verifier,
        long UnitMs,
        Func<string, byte[]> Decode,
        Func<byte[], string> Encode)
    {
        public string TimestampHeader => Signer.Scheme is SignatureScheme.Ed25519 or SignatureScheme.SeedHmac
            ? TelnyxHeaders.Timestamp
            : StandardWebhooksHeaders.Timestamp;

        public string SignatureHeader => Signer.Scheme is SignatureScheme.Ed25519 or SignatureScheme.SeedHmac
            ? TelnyxHeaders.Signature
            : StandardWebhooksHeaders.Signature;

        /// <summary>The tolerance in the scheme's own unit (seconds or milliseconds).</summary>
        public long ToleranceUnits => 300_000 / UnitMs;

        public WebhookHeaders Sign(byte[] body, long atMs) =>
            Headers.From(Signer.Sign(body, DateTimeOffset.FromUnixTimeMilliseconds(atMs), "msg_2pQ4oQW2Ym0tQy4ySm3kK6pTz0f"));

        /// <summary>A clock <paramref name="skew"/> units from the signed timestamp, plus sub-unit jitter that must not matter.</summary>
        public IWebhookVerifier VerifierAt(long signedMs, long skew, int jitterMs) =>
            Verifier(Clock.AtMilliseconds((signedMs / UnitMs * UnitMs) + (skew * UnitMs) + (jitterMs % UnitMs)));

        public override string ToString() => Name;
    }

    private static readonly Ed25519PrivateKey TelnyxKey = Ed25519PrivateKey.Generate();
    private static readonly Ed25519PrivateKey StandardWebhooksEd25519 = Ed25519PrivateKey.Generate();
    private static readonly StandardWebhooksKey StandardWebhooksSecret = StandardWebhooksKey.GenerateSecret();

    private static readonly Dictionary<string, Scheme> Schemes = new Scheme[]
    {
        new("ed25519", new Ed25519WebhookSigner(TelnyxKey), time => new Ed25519WebhookVerifier([TelnyxKey.PublicKey], time), 1000,
            Convert.FromBase64String, Convert.ToBase64String),
        new("seed-hmac", new SeedHmacWebhookSigner("a shared secret"), time => new SeedHmacWebhookVerifier(["a shared secret"], time), 1,
            Convert.FromHexString, Convert.ToHexStringLower),
        new("standard-webhooks-v1", new StandardWebhooksSigner([StandardWebhooksSecret]), time => new StandardWebhooksVerifier([StandardWebhooksSecret], time), 1000,
            s => Convert.FromBase64String(s["v1,".Length..]), b => "v1," + Convert.ToBase64String(b)),
        new("standard-webhooks-v1a", new StandardWebhooksSigner([StandardWebhooksKey.FromPrivateKey(StandardWebhooksEd25519)]),
            time => new StandardWebhooksVerifier([StandardWebhooksKey.FromPublicKey(StandardWebhooksEd25519.PublicKey)], time), 1000,
            s => Convert.FromBase64String(s["v1a,".Length..]), b => "v1a," + Convert.ToBase64String(b)),
    }.ToDictionary(s => s.Name);

    public static TheoryData<string> SchemeNames => [.. Schemes.Keys];

    private static readonly Gen<byte[]> AnyBody = Gen.Byte.Array[0, 4096];
    private static readonly Gen<byte[]> NonEmptyBody = Gen.Byte.Array[1, 4096];

    /// <summary>Unix milliseconds from 2001 to 2286: ten-digit second timestamps, thirteen-digit millisecond ones.</summary>
    private static readonly Gen<long> AnyInstantMs = Gen.Long[1_000_000_000_000, 9_999_999_999_999];
    private static readonly Gen<int> Jitter = Gen.Int[0, 999];
    private static readonly Gen<byte> Mask = Gen.Byte[1, 255];

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Theory]
    [MemberData(nameof(SchemeNames))]
    public void Sign_then_verify_holds_within_the_tolerance(string name)
    {
        var scheme = Schemes[name];
        Gen.Select(AnyBody, AnyInstantMs, Gen.Long[-scheme.ToleranceUnits, scheme.ToleranceUnits], Jitter)
            .Sample((body, signedMs, skew, jitter) =>
            {
                var headers = scheme.Sign(body, signedMs);
                AssertResult.Valid(scheme.VerifierAt(signedMs, skew, jitter).Verify(body, headers));
            });
    }

    [Theory]
    [MemberData(nameof(SchemeNames))]
    public void Verification_fails_just_outside_the_tolerance(string name)
    {
        var scheme = Schemes[name];
        Gen.Select(AnyBody, AnyInstantMs, Gen.Long[1, 1_000_000], Gen.Bool, Jitter)
            .Sample((body, signedMs, beyond, ahead, jitter) =>
            {
                var skew = (scheme.ToleranceUnits + beyond) * (ahead ? 1 : -1);
                var result = scheme.VerifierAt(signedMs, skew, jitter).Verify(body, scheme.Sign(body, signedMs));
                AssertResult.Fails(result, VerificationFailure.TimestampOutsideTolerance);
            });
    }

    [Theory]
    [MemberData(nameof(SchemeNames))]
    public void Flipping_any_byte_of_the_body_fails(string name)
    {
        var scheme = Schemes[name];
        Gen.Select(NonEmptyBody, AnyInstantMs, Gen.Int[0, int.MaxValue], Mask)
            .Sample((body, signedMs, position, mask) =>
            {
                var headers = scheme.Sign(body, signedMs);
                var tampered = Bytes.WithByteFlipped(body, position % body.Length, mask);
                AssertResult.Fails(scheme.VerifierAt(signedMs, 0, 0).Verify(tampered, headers), VerificationFailure.Mismatch);
            });
    }

    [Theory]
    [MemberData(nameof(SchemeNames))]
    public void Flipping_any_byte_of_the_timestamp_header_fails(string name)
    {
        var scheme = Schemes[name];
        Gen.Select(AnyBody, AnyInstantMs, Gen.Int[0, int.MaxValue], Mask)
            .Sample((body, signedMs, position, mask) =>
            {
                var headers = scheme.Sign(body, signedMs);
                var timestamp = Encoding.Latin1.GetBytes(headers.Get(scheme.TimestampHeader)!);
                var tampered = Encoding.Latin1.GetString(Bytes.WithByteFlipped(timestamp, position % timestamp.Length, mask));
                headers.Set(scheme.TimestampHeader, tampered);

                var result = scheme.VerifierAt(signedMs, 0, 0).Verify(body, headers);

                Assert.False(result.IsValid, $"timestamp changed to '{tampered}' still verified");
                Assert.Contains(result.Failure, new[]
                {
                    VerificationFailure.MalformedTimestamp, VerificationFailure.TimestampOutsideTolerance, VerificationFailure.Mismatch,
                });
            });
    }

    [Theory]
    [MemberData(nameof(SchemeNames))]
    public void Flipping_any_byte_of_the_decoded_signature_fails(string name)
    {
        var scheme = Schemes[name];
        Gen.Select(AnyBody, AnyInstantMs, Gen.Int[0, int.MaxValue], Mask)
            .Sample((body, signedMs, position, mask) =>
            {
                var headers = scheme.Sign(body, signedMs);
                var signature = scheme.Decode(headers.Get(scheme.SignatureHeader)!);
                headers.Set(scheme.SignatureHeader, scheme.Encode(Bytes.WithByteFlipped(signature, position % signature.Length, mask)));

                AssertResult.Fails(scheme.VerifierAt(signedMs, 0, 0).Verify(body, headers), VerificationFailure.Mismatch);
            });
    }

    /// <summary>Random JSON objects written with spaces and relaxed escaping, as another JSON library might send them.</summary>
    private static readonly Gen<byte[]> SpacedJson =
        Gen.Select(Gen.String[1, 12], Gen.OneOf(Gen.String, Gen.String["abcé<>&'+\"\\ ü€😀\n"]), Gen.Long, Gen.Bool).Array[1, 8]
            .Select(members =>
            {
                var json = new StringBuilder("{\"data\": {");
                for (var i = 0; i < members.Length; i++)
                {
                    var (key, text, number, nested) = members[i];
                    json.Append(i == 0 ? "" : ", ")
                        .Append(JsonSerializer.Serialize($"{key}{i}", Relaxed)).Append(": ")
                        .Append(nested ? $"{{\"text\": {JsonSerializer.Serialize(text, Relaxed)}, \"n\": {number}}}" : JsonSerializer.Serialize(text, Relaxed));
                }

                return Encoding.UTF8.GetBytes(json.Append("}}").ToString());
            });

    public static TheoryData<string> Reserialisations => ["JsonNode", "JsonDocument", "JsonNode indented", "JsonElement relaxed"];

    private static byte[] Reserialise(byte[] body, string how) => how switch
    {
        "JsonNode" => Encoding.UTF8.GetBytes(JsonNode.Parse(body)!.ToJsonString()),
        "JsonDocument" => JsonSerializer.SerializeToUtf8Bytes(JsonDocument.Parse(body).RootElement),
        "JsonNode indented" => Encoding.UTF8.GetBytes(JsonNode.Parse(body)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true })),
        "JsonElement relaxed" => JsonSerializer.SerializeToUtf8Bytes(JsonSerializer.Deserialize<JsonElement>(body), Relaxed),
        _ => throw new ArgumentOutOfRangeException(nameof(how)),
    };

    [Theory]
    [MemberData(nameof(Reserialisations))]
    public void A_body_reserialised_by_System_Text_Json_fails(string how)
    {
        foreach (var scheme in Schemes.Values)
        {
            Gen.Select(SpacedJson, AnyInstantMs).Sample((body, signedMs) =>
            {
                var headers = scheme.Sign(body, signedMs);
                var verifier = scheme.VerifierAt(signedMs, 0, 0);
                AssertResult.Valid(verifier.Verify(body, headers));

                var reserialised = Reserialise(body, how);

                Assert.NotEqual(body, reserialised);
                Assert.True(JsonNode.DeepEquals(JsonNode.Parse(body), JsonNode.Parse(reserialised)), "the re-serialised JSON means the same");
                AssertResult.Fails(verifier.Verify(reserialised, headers), VerificationFailure.Mismatch);
            }, iter: 25);
        }
    }

    private static readonly Gen<string> Digits = Gen.Char['0', '9'].Array[0, 20].Select(c => new string(c));
    private static readonly Gen<string> Base64 = Gen.Byte.Array[0, 100].Select(Convert.ToBase64String);

    private static readonly Gen<string> AnyHeaderValue = Gen.OneOf(
        Gen.String,
        Gen.String[0, 2000],
        Gen.Char.Array[0, 200].Select(c => new string(c)),
        Digits,
        Base64,
        Base64.Select(b => "v1," + b),
        Gen.Select(Base64, Base64).Select((a, b) => $"v1a,{a} v1,{b}  v2,x"),
        Gen.Byte.Array[0, 80].Select(Convert.ToHexString),
        Gen.Const(""));

    private static readonly Gen<string?> MaybeHeaderValue = Gen.Frequency<string?>(
        (1, Gen.Const<string?>((string?)null)),
        (5, AnyHeaderValue.Select(s => (string?)s)));

    [Fact]
    public void Verification_never_throws_and_never_passes_for_arbitrary_header_strings()
    {
        var time = Clock.At(1_700_000_000);
        IWebhookVerifier[] verifiers =
        [
            .. Schemes.Values.Select(s => s.Verifier(time)),
            Ed25519WebhookVerifier.FromBase64(["not a key"], time),
            new Ed25519WebhookVerifier([], time),
        ];

        Gen.Select(AnyBody, MaybeHeaderValue, MaybeHeaderValue, MaybeHeaderValue).Sample((body, timestamp, signature, id) =>
        {
            var headers = new WebhookHeaders();
            foreach (var (names, value) in new[]
            {
                (new[] { TelnyxHeaders.Timestamp, StandardWebhooksHeaders.Timestamp }, timestamp),
                (new[] { TelnyxHeaders.Signature, StandardWebhooksHeaders.Signature }, signature),
                (new[] { StandardWebhooksHeaders.Id }, id),
            })
            {
                foreach (var header in names)
                {
                    if (value is not null)
                    {
                        headers.Set(header, value);
                    }
                }
            }

            foreach (var verifier in verifiers)
            {
                var result = verifier.Verify(body, headers);
                Assert.False(result.IsValid, $"{verifier.Scheme} accepted random headers");
                Assert.False(string.IsNullOrEmpty(result.Detail));
            }
        }, iter: 2000);
    }

    [Fact]
    public void Timestamps_of_up_to_18_digits_never_overflow()
    {
        var verifier = Schemes["ed25519"].Verifier(Clock.At(1_700_000_000));
        Gen.Long[0, 999_999_999_999_999_999].Sample(timestamp =>
        {
            var headers = Headers.Of(
                (TelnyxHeaders.Timestamp, timestamp.ToString(CultureInfo.InvariantCulture)),
                (TelnyxHeaders.Signature, Convert.ToBase64String(new byte[64])));
            Assert.False(verifier.Verify([], headers).IsValid);
        });
    }
}
