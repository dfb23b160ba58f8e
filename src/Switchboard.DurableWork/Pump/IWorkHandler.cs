namespace Switchboard.DurableWork;

/// <summary>
/// Works one item of a queue for a <see cref="WorkQueueWorker"/> (the items of a queue registered with
/// <see cref="WorkQueueServiceCollectionExtensions.AddWorkQueue{THandler}(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, Func{IServiceProvider, WorkQueueWorkerOptions?})"/>) and says what became of it.
/// </summary>
/// <remarks>
/// <para>
/// The item is leased to this process until its completion is recorded; the worker records it (in batches), so the
/// handler only decides: <see cref="WorkCompletion.Succeeded"/>, <see cref="WorkCompletion.Retry"/> at a time,
/// <see cref="WorkCompletion.Failed"/> (dead-lettered), or <see cref="WorkCompletion.Release"/> (given back, no attempt
/// counted). An item may be worked again after a crash before its completion was recorded: make the work idempotent.
/// </para>
/// <para>
/// Throwing a transient store error (<see cref="TransientStoreErrors.IsTransient"/>) means the database was briefly
/// unavailable: the worker runs the item again, still leased here, as soon as the database answers. Throwing anything
/// else is a bug of the handler: the error is logged and the item given back, due again after
/// <see cref="WorkQueueWorker.AfterUnexpectedFailure"/>, with no attempt counted. When the
/// stopping token fires, return soon (or throw <see cref="OperationCanceledException"/>): the item is
/// given back for the next start.
/// </para>
/// </remarks>
public interface IWorkHandler
{
    /// <summary>Works <paramref name="item"/> and returns its completion, made with <paramref name="item"/>'s lease.</summary>
    Task<WorkCompletion> HandleAsync(ClaimedWorkItem item, CancellationToken stoppingToken);
}

/// <summary>A handler made of a function, for tests and small tools.</summary>
internal sealed class DelegateWorkHandler(Func<ClaimedWorkItem, CancellationToken, Task<WorkCompletion>> handle) : IWorkHandler
{
    public Task<WorkCompletion> HandleAsync(ClaimedWorkItem item, CancellationToken stoppingToken) => handle(item, stoppingToken);
}
