namespace Switchboard.Receiver;

/// <summary>
/// The receiver's SQLite inbox cannot be opened when the host starts (a data directory that cannot be created or
/// written): the host does not start. The message names the path and the reason; the inner exception is the cause.
/// </summary>
public sealed class WebhookStoreUnavailableException(string message, Exception innerException) : Exception(message, innerException);
