namespace Switchboard.DurableWork;

/// <summary>A store that can say when items came back from a stopped worker, so the pumps of this process look at once.</summary>
internal interface INotifyWorkReturned
{
    event Action<IReadOnlyList<string>>? WorkReturned;
}
