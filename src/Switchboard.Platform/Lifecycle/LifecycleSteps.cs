using System.Text.Json;
using Switchboard.DurableWork;
using Switchboard.Platform.Api;

namespace Switchboard.Platform.Lifecycle;

/// <summary>One step of a resource's lifecycle (a message's "send", a call's "ring out"), run when it falls due.</summary>
/// <param name="Resource">The kind: <c>message</c>, <c>call</c>.</param>
/// <param name="Step">What happens: the handler of the kind knows its steps.</param>
public sealed record LifecycleStep(string Resource, string Id, string Step);

/// <summary>
/// Runs the steps of one kind of resource: reads on a snapshot, computes, and adds what it computed to a write-only batch
/// that the runner commits with the step's completion.
/// </summary>
public interface IPlannedStepHandler
{
    /// <summary>The <see cref="LifecycleStep.Resource"/> handled.</summary>
    string Resource { get; }

    /// <summary>
    /// Plans the step: reads the resource on <paramref name="reader"/> (a snapshot, beside the writes), computes its new
    /// state, events and next step, and adds them to <paramref name="batch"/>, the resource under the version read. The
    /// runner adds the step's completion and commits; if the resource changed meanwhile, it plans again, on a fresh
    /// snapshot and batch. A step may also be planned after a crash cut off its completion: it looks at the resource's
    /// state and adds nothing where the step's work is done already.
    /// </summary>
    ValueTask PlanAsync(IWorkReader reader, LifecycleStep step, WorkBatch batch);
}

/// <summary>
/// The lifecycle queue: every step of every resource is durable work with a due time, on the same store as the
/// resources and the outbox. Scheduling goes into the batch that changes the resource, and while the runner
/// of this process runs, a step due now is handed to it in memory (see <see cref="WorkQueue"/>).
/// </summary>
public sealed class LifecycleSteps
{
    public const string Queue = "platform-lifecycle";

    /// <summary>A step is tried this many times before it is given up (logged as an error); each retry waits longer, up to a minute.</summary>
    public const int MaxAttempts = 30;

    public LifecycleSteps(IWorkStore store) => Steps = new WorkQueue(store, Queue);

    /// <summary>On <paramref name="steps"/>, the queue's client the host's worker hands enqueued steps over through.</summary>
    internal LifecycleSteps(WorkQueue steps) => Steps = steps;

    /// <summary>The queue of steps; the <see cref="LifecycleRunner"/> of this process works it.</summary>
    internal WorkQueue Steps { get; }

    /// <summary>Schedules <paramref name="step"/> at <paramref name="dueAt"/> in <paramref name="batch"/>; scheduling the same step again does nothing.</summary>
    public void Schedule(WorkBatch batch, LifecycleStep step, DateTimeOffset dueAt) => Steps.Enqueue(batch, [Item(step, dueAt)]);

    private static NewWorkItem Item(LifecycleStep step, DateTimeOffset dueAt) =>
        new($"{step.Resource}:{step.Id}:{step.Step}", JsonSerializer.Serialize(step, PlatformJson.Default.LifecycleStep), dueAt, MaxAttempts, step.Resource);

    internal static LifecycleStep Read(ClaimedWorkItem item) =>
        JsonSerializer.Deserialize(item.Payload, PlatformJson.Default.LifecycleStep) ?? throw new InvalidDataException($"lifecycle step {item.Key} is empty");
}
