namespace Switchboard.Receiver;

/// <summary>
/// What the endpoint made of a request, set as an HTTP feature (<c>context.Features.Get&lt;WebhookReceipt&gt;()</c>)
/// so middleware can log or display it after the endpoint ran.
/// </summary>
/// <param name="Outcome"><c>accepted</c>, <c>duplicate</c> or <c>rejected</c>.</param>
/// <param name="Verification"><c>valid</c>, <c>unverified</c>, a verification failure code, or null if not verified.</param>
/// <param name="Reason">The problem reason of a rejection.</param>
/// <param name="EventId"><c>data.id</c>, when the body parsed.</param>
/// <param name="EventType"><c>data.event_type</c>, when the body parsed.</param>
public sealed record WebhookReceipt(string Outcome, string? Verification, string? Reason, string? EventId, string? EventType);
