using BenchmarkDotNet.Attributes;
using NSec.Cryptography;
using Switchboard.Signing;

namespace Switchboard.Benchmarks;

/// <summary>
/// For the record: signing a 600-byte webhook through <see cref="Ed25519WebhookSigner"/> (which builds the
/// signed bytes and returns the header strings) against a bare NSec sign of the precomputed bytes.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class SigningBenchmarks : IDisposable
{
    private WebhookFixture _fixture = null!;
    private Ed25519WebhookSigner _signer = null!;
    private readonly byte[] _signature = new byte[Ed25519PublicKey.SignatureLength];

    [GlobalSetup]
    public void Setup()
    {
        _fixture = new WebhookFixture(DateTimeOffset.FromUnixTimeSeconds(1_761_329_402));
        _signer = new Ed25519WebhookSigner(_fixture.PrivateKey);
    }

    [Benchmark(Baseline = true, Description = "NSec Ed25519.Sign (bare)")]
    public byte[] BareNSecSign()
    {
        SignatureAlgorithm.Ed25519.Sign(_fixture.NSecPrivateKey, _fixture.SignedBytes, _signature);
        return _signature;
    }

    [Benchmark(Description = "Ed25519WebhookSigner.SignParts")]
    public (string Signature, string Timestamp) SwitchboardSignParts() => _signer.SignParts(_fixture.Body, _fixture.SignedAt);

    [Benchmark(Description = "Ed25519WebhookSigner.Sign (headers)")]
    public IReadOnlyList<KeyValuePair<string, string>> SwitchboardSign() => _signer.Sign(_fixture.Body, _fixture.SignedAt, "0ccc7b54-4df3-4bcf-a65a-3d7dde5e7f6e");

    [GlobalCleanup]
    public void Dispose()
    {
        _fixture?.Dispose();
        GC.SuppressFinalize(this);
    }
}
