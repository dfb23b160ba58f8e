using BenchmarkDotNet.Attributes;
using NSec.Cryptography;
using Switchboard.Signing;

namespace Switchboard.Benchmarks;

/// <summary>
/// Diagnostic for <see cref="VerificationBenchmarks"/>: what our path adds, in nanoseconds, without a ~50-100 µs
/// curve computation that a noisy machine blurs. The signature's S half is all 0xFF, which libsodium rejects
/// as non-canonical before any curve arithmetic, so both methods do all their other work and then fail fast:
/// our method still looks up headers, parses and checks the timestamp, decodes the base64 and builds the
/// signed bytes. The difference of the two means is our overhead per verification.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class VerificationOverheadBenchmarks : IDisposable
{
    private WebhookFixture _fixture = null!;
    private Ed25519WebhookVerifier _verifier = null!;
    private WebhookHeaders _headers = null!;
    private byte[] _signature = null!;

    [GlobalSetup]
    public void Setup()
    {
        _fixture = new WebhookFixture(TimeProvider.System.GetUtcNow());
        _verifier = new Ed25519WebhookVerifier([_fixture.PrivateKey.PublicKey], TimeProvider.System, TimeSpan.FromDays(1));
        _signature = [.. _fixture.Signature];
        _signature.AsSpan(32).Fill(0xFF);
        _headers = new WebhookHeaders()
            .Set(TelnyxHeaders.Timestamp, _fixture.Headers.Get(TelnyxHeaders.Timestamp)!)
            .Set(TelnyxHeaders.Signature, Convert.ToBase64String(_signature));
        var result = _verifier.Verify(_fixture.Body, _headers);
        if (BareNSecVerifyRejected() || result.Failure != VerificationFailure.Mismatch)
        {
            throw new InvalidOperationException($"expected both to reject at the signature check; ours said {result}");
        }
    }

    [Benchmark(Baseline = true, Description = "NSec Ed25519.Verify (bare), early reject")]
    public bool BareNSecVerifyRejected() =>
        SignatureAlgorithm.Ed25519.Verify(_fixture.NSecPublicKey, _fixture.SignedBytes, _signature);

    [Benchmark(Description = "Ed25519WebhookVerifier.Verify, early reject")]
    public bool SwitchboardVerifyRejected() => _verifier.Verify(_fixture.Body, _headers).IsValid;

    [GlobalCleanup]
    public void Dispose()
    {
        _fixture?.Dispose();
        GC.SuppressFinalize(this);
    }
}
