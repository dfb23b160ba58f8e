using System.Text.Json;
using Switchboard.DurableWork;
using Switchboard.Platform.Api;

namespace Switchboard.Platform.Lifecycle;

/// <summary>One step of a resource's lifecycle (a message's "send", a call's "ring out"), run when it falls due.</summary>
/// <param name="Resource">The kind: <c>message</c>, <c>call</c>.</param>
/// <param name="Step">What happens: the handler of the kind knows its steps.</param>
public sealed record LifecycleStep(string Resource, string Id, string Step);

/// <summary>Runs the steps of one kind of resource, each inside the transaction that records its outcome.</summary>
public interface ILifecycleStepHandler
{
    /// <summary>The <see cref="LifecycleStep.Resource"/> handled.</summary>
    string Resource { get; }

    /// <summary>
    /// Runs the step in <paramref name="transaction"/>: reads the resource (locked), changes it, publishes its events and
    /// schedules its next step, all committed together. A step may run twice (after a crash, before its completion was
    /// recorded): it looks at the resource's state and does nothing where the step's work is done already.
    /// </summary>
    ValueTask RunAsync(IWorkTransaction transaction, LifecycleStep step);
}

/// <summary>
/// The lifecycle queue: every step of every resource is durable work with a due time, on the same store as the
/// resources and the outbox. Scheduling happens inside the transaction that changes the resource, and while the runner
/// of this process runs, a step due now is handed to it in memory (see <see cref="WorkQueue"/>).
/// </summary>
public sealed class LifecycleSteps
{
    public const string Queue = "platform-lifecycle";

    /// <summary>A step is tried this many times before it is given up (logged as an error); each retry waits longer, up to a minute.</summary>
    public const int MaxAttempts = 30;

    public LifecycleSteps(IWorkStore store) => Steps = new WorkQueue(store, Queue);

    /// <summary>The queue of steps; the <see cref="LifecycleRunner"/> of this process works it.</summary>
    internal WorkQueue Steps { get; }

    /// <summary>Schedules <paramref name="step"/> at <paramref name="dueAt"/>; scheduling the same step again does nothing.</summary>
    public async ValueTask ScheduleAsync(IWorkTransaction transaction, LifecycleStep step, DateTimeOffset dueAt)
    {
        var item = new NewWorkItem($"{step.Resource}:{step.Id}:{step.Step}", JsonSerializer.Serialize(step, PlatformJson.Default.LifecycleStep), dueAt, MaxAttempts, step.Resource);
        await Steps.EnqueueAsync(transaction, [item]);
    }

    internal static LifecycleStep Read(ClaimedWorkItem item) =>
        JsonSerializer.Deserialize(item.Payload, PlatformJson.Default.LifecycleStep) ?? throw new InvalidDataException($"lifecycle step {item.Key} is empty");
}
