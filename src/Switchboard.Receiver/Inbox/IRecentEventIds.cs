namespace Switchboard.Receiver.Inbox;

/// <summary>
/// A cache of event ids stored recently, in front of the database, so most duplicates are answered without a database
/// write: an id is remembered only after the database stored it, so a hit is always a true duplicate, and a miss falls
/// through to the database's unique key, which stays the truth. None by default; Redis with <c>UseRedis</c>
/// (Switchboard.Receiver.Redis). Implementations must never fail a request: trouble is a miss.
/// </summary>
public interface IRecentEventIds
{
    /// <summary>True when the event was stored recently (a true duplicate); false when unknown or the cache is unavailable.</summary>
    ValueTask<bool> SeenRecentlyAsync(string eventId);

    /// <summary>Remembers an event id that the database has just stored.</summary>
    ValueTask RememberAsync(string eventId);
}

/// <summary>No cache: every duplicate is found by the database.</summary>
internal sealed class NoRecentEventIds : IRecentEventIds
{
    public ValueTask<bool> SeenRecentlyAsync(string eventId) => new(false);

    public ValueTask RememberAsync(string eventId) => ValueTask.CompletedTask;
}
