namespace Switchboard.Signing;

/// <summary>Why a webhook failed verification. <see cref="None"/> means it passed.</summary>
public enum VerificationFailure
{
    None = 0,
    /// <summary>A required header is absent or empty.</summary>
    MissingHeader,
    /// <summary>The timestamp header is not a plain string of digits.</summary>
    MalformedTimestamp,
    /// <summary>The timestamp is further from now than the tolerance, in either direction.</summary>
    TimestampOutsideTolerance,
    /// <summary>The signature header is not valid base64 (or hex, for the seed scheme).</summary>
    MalformedSignature,
    /// <summary>The signature decodes to the wrong number of bytes (64 for Ed25519, 32 for HMAC-SHA256).</summary>
    WrongSignatureLength,
    /// <summary>A configured key could not be used (wrong length or encoding).</summary>
    InvalidKey,
    /// <summary>No key is configured: verification fails closed.</summary>
    NoKeyConfigured,
    /// <summary>Everything was well-formed, but no configured key produced this signature over these bytes.</summary>
    Mismatch,
}

/// <summary>The outcome of verifying one webhook. Never an exception: bad input is a result.</summary>
public readonly record struct VerificationResult(VerificationFailure Failure, string? Detail)
{
    public static VerificationResult Valid { get; } = new(VerificationFailure.None, null);

    public bool IsValid => Failure == VerificationFailure.None;

    public static VerificationResult Fail(VerificationFailure failure, string detail) => new(failure, detail);

    /// <summary>A stable snake_case code for logs, problem details and metrics tags.</summary>
    public string Code => Failure switch
    {
        VerificationFailure.None => "valid",
        VerificationFailure.MissingHeader => "missing_header",
        VerificationFailure.MalformedTimestamp => "malformed_timestamp",
        VerificationFailure.TimestampOutsideTolerance => "timestamp_outside_tolerance",
        VerificationFailure.MalformedSignature => "malformed_signature",
        VerificationFailure.WrongSignatureLength => "wrong_signature_length",
        VerificationFailure.InvalidKey => "invalid_key",
        VerificationFailure.NoKeyConfigured => "no_key_configured",
        VerificationFailure.Mismatch => "signature_mismatch",
        _ => "unknown",
    };

    public override string ToString() => IsValid ? "valid" : $"{Code}: {Detail}";
}
