namespace Switchboard.Signing.Tests;

/// <summary>RFC 8032 section 7.1, Ed25519 tests 1 to 3, through our key types (checked against node:crypto).</summary>
public sealed class Ed25519KnownAnswerTests
{
    public static TheoryData<string, string, string, string> Rfc8032Vectors => new()
    {
        {
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        },
        {
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        },
        {
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
        },
    };

    [Theory]
    [MemberData(nameof(Rfc8032Vectors))]
    public void Imported_seed_derives_the_expected_public_key(string secret, string expectedPublic, string message, string signature)
    {
        _ = (message, signature);
        Assert.True(Ed25519PrivateKey.TryImport(Convert.FromHexString(secret), out var key, out var error), error);
        using (key)
        {
            Assert.Equal(expectedPublic, Convert.ToHexStringLower(key.PublicKey.Export()));
            Assert.Equal(Convert.ToBase64String(Convert.FromHexString(expectedPublic)), key.PublicKey.ToBase64());
            Assert.Equal(secret, Convert.ToHexStringLower(key.Export()));
        }
    }

    [Theory]
    [MemberData(nameof(Rfc8032Vectors))]
    public void Parsed_base64_seed_signs_the_expected_signature(string secret, string expectedPublic, string message, string expectedSignature)
    {
        using var key = Ed25519PrivateKey.Parse(Convert.ToBase64String(Convert.FromHexString(secret)));

        Assert.Equal(expectedPublic, Convert.ToHexStringLower(key.PublicKey.Export()));
        Assert.Equal(expectedSignature, Convert.ToHexStringLower(key.Sign(Convert.FromHexString(message))));

        Span<byte> into = stackalloc byte[Ed25519PublicKey.SignatureLength];
        key.Sign(Convert.FromHexString(message), into);
        Assert.Equal(expectedSignature, Convert.ToHexStringLower(into));
    }

    [Theory]
    [MemberData(nameof(Rfc8032Vectors))]
    public void Public_key_accepts_the_signature_and_rejects_any_flipped_bit(string secret, string publicKey, string message, string signature)
    {
        _ = secret;
        var key = Ed25519PublicKey.Parse(Convert.ToBase64String(Convert.FromHexString(publicKey)));
        var data = Convert.FromHexString(message);
        var sig = Convert.FromHexString(signature);

        Assert.True(key.Verify(data, sig));
        for (var bit = 0; bit < sig.Length * 8; bit++)
        {
            Assert.False(key.Verify(data, Bytes.WithByteFlipped(sig, bit / 8, (byte)(1 << (bit % 8)))), $"accepted with signature bit {bit} flipped");
        }

        for (var bit = 0; bit < data.Length * 8; bit++)
        {
            Assert.False(key.Verify(Bytes.WithByteFlipped(data, bit / 8, (byte)(1 << (bit % 8))), sig), $"accepted with message bit {bit} flipped");
        }

        Assert.False(key.Verify([.. data, 0], sig), "accepted with a byte appended to the message");
    }

    [Fact]
    public void Bare_verify_rejects_signatures_of_the_wrong_length_instead_of_throwing()
    {
        var key = Ed25519PublicKey.Parse("PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=");
        Assert.False(key.Verify("r"u8, new byte[63]));
        Assert.False(key.Verify("r"u8, new byte[65]));
        Assert.False(key.Verify("r"u8, []));
    }
}
