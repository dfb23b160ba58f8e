using BenchmarkDotNet.Attributes;
using Switchboard.Events;

namespace Switchboard.Benchmarks;

/// <summary>
/// What the receiver's request path reads of a body (issue 4): the whole typed envelope, payload included, against the
/// summary it needs before storing (id, type, time), on a sample <c>message.received</c> webhook. The handler runner
/// builds the typed envelope later, once.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class EnvelopeParseBenchmarks
{
    private readonly byte[] _body = new WebhookEnvelope
    {
        Data = SampleEvents.Create(EventTypes.MessageReceived, TimeProvider.System),
        Meta = new WebhookMeta { Attempt = 1, DeliveredTo = "http://127.0.0.1/webhooks/telnyx" },
    }.ToUtf8Bytes();

    [Benchmark(Baseline = true, Description = "WebhookEnvelope.TryParse (typed, payload kept)")]
    public bool FullEnvelope() => WebhookEnvelope.TryParse(_body, out _, out _);

    [Benchmark(Description = "WebhookSummary.TryParse (identity only)")]
    public bool Summary() => WebhookSummary.TryParse(_body, out _, out _);
}
