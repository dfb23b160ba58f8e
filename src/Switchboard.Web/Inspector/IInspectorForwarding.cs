using Switchboard.Receiver;

namespace Switchboard.Web.Inspector;

/// <summary>What the host forwards webhooks to (<c>listen --forward-to</c>): the inspector shows it and can forward a request again.</summary>
public interface IInspectorForwarding
{
    /// <summary>The handler name the forwards run under in the inbox (their runs are the forward outcome).</summary>
    string HandlerName { get; }

    Uri Target { get; }

    /// <summary>Sends the request's body to <see cref="Target"/> again, as a forward does; returns what happened, in a line.</summary>
    Task<string> ForwardAgainAsync(RecordedRequest request, CancellationToken cancellationToken);
}
