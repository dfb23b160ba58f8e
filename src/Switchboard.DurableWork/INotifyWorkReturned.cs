using System.ComponentModel;

namespace Switchboard.DurableWork;

/// <summary>
/// A store that can say when items came back from a stopped worker, so the workers of this process look at once. Part of
/// the driver (see <see cref="IWorkStore"/>): implemented by Switchboard's stores, not for implementing or calling
/// directly outside Switchboard's packages.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface INotifyWorkReturned
{
    /// <summary>Items of these queues are due again now (their worker stopped and they were taken over).</summary>
    event Action<IReadOnlyList<string>>? WorkReturned;
}
