namespace Switchboard.Signing;

/// <summary>Decodes a base64 signature into a caller's buffer, telling "not base64" from "wrong length".</summary>
internal static class Base64Signature
{
    /// <summary>The longest encoded signature we try to decode; anything longer is wrong-length by definition.</summary>
    public const int MaxEncodedLength = 1024;

    public static VerificationResult? TryDecode(ReadOnlySpan<char> encoded, int expectedLength, Span<byte> destination, string what)
    {
        if (encoded.Length > MaxEncodedLength)
        {
            return VerificationResult.Fail(VerificationFailure.WrongSignatureLength,
                $"{what} is {encoded.Length} characters long; expected base64 of {expectedLength} bytes");
        }

        Span<byte> scratch = stackalloc byte[(MaxEncodedLength / 4 * 3) + 3];
        if (encoded.Length % 4 != 0 || !Convert.TryFromBase64Chars(encoded, scratch, out var written) || ContainsWhitespace(encoded))
        {
            return VerificationResult.Fail(VerificationFailure.MalformedSignature, $"{what} is not valid padded base64");
        }

        if (written != expectedLength)
        {
            return VerificationResult.Fail(VerificationFailure.WrongSignatureLength,
                $"{what} decodes to {written} bytes; expected {expectedLength}");
        }

        scratch[..written].CopyTo(destination);
        return null;
    }

    private static bool ContainsWhitespace(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (char.IsWhiteSpace(c))
            {
                return true;
            }
        }

        return false;
    }
}
