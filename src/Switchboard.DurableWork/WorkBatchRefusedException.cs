namespace Switchboard.DurableWork;

// Compiled into Switchboard.DurableWork.PostgreSql too (a linked file): each store throws and catches it inside its own commit.
/// <summary>A batch refused by a check of its own: rolled back, reported as its outcome (not as an error).</summary>
internal sealed class WorkBatchRefusedException(WorkBatchResult result) : Exception(result.Detail)
{
    public WorkBatchResult Result { get; } = result;
}
