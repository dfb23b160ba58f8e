namespace Switchboard.DurableWork;

/// <summary>The store's database is open in another process (SQLite: one process per database file); the message names both.</summary>
public sealed class WorkStoreInUseException(string message, Exception? inner = null) : IOException(message, inner);
