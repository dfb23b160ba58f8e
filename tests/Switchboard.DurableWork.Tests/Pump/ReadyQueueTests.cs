using CsCheck;
using Switchboard.DurableWork.Pump;

namespace Switchboard.DurableWork.Tests.Pump;

/// <summary>The pump's ready queue: its invariants hold after every operation, and every item is taken or given back once.</summary>
public sealed class ReadyQueueTests
{
    private enum Op
    {
        Add,
        Take,
        WaitForRoom,
        Close,
    }

    private static readonly Gen<(Op Op, int Count)> AnyStep = Gen.Select(
        Gen.Frequency((5, Gen.Const(Op.Add)), (5, Gen.Const(Op.Take)), (2, Gen.Const(Op.WaitForRoom)), (1, Gen.Const(Op.Close))),
        Gen.Int[0, 12]);

    [Fact]
    public void Every_item_added_is_taken_or_given_back_exactly_once_and_the_invariants_hold_after_each_step()
    {
        Gen.Select(Gen.Int[1, 10], Gen.Int[0, 9], AnyStep.List[0, 60]).Sample((capacity, refill, steps) =>
        {
            var refillAt = refill % capacity;
            var released = new List<string>();
            var queue = new ReadyQueue(capacity, refillAt, items =>
            {
                lock (released)
                {
                    released.AddRange(items.Select(i => i.Key));
                }

                return Task.CompletedTask;
            });
            var added = new List<string>();
            var takes = new List<ValueTask<ClaimedWorkItem?>>();
            var rooms = new List<Task>();
            var closed = false;
            foreach (var (op, count) in steps)
            {
                switch (op)
                {
                    case Op.Add:
                        var items = Enumerable.Range(added.Count, count).Select(Item).ToList();
                        added.AddRange(items.Select(i => i.Key));
                        queue.Add(items).GetAwaiter().GetResult();
                        break;
                    case Op.Take:
                        takes.Add(queue.TakeAsync());
                        break;
                    case Op.WaitForRoom:
                        var before = queue.Count;
                        var room = queue.WaitForRoomAsync();
                        Assert.Equal(closed || before <= refillAt, room.IsCompleted);
                        rooms.Add(room);
                        break;
                    default:
                        queue.Close();
                        closed = true;
                        break;
                }

                queue.CheckInvariants();
                Assert.True(queue.Count <= capacity);
            }

            queue.Close();
            queue.ReleasesAsync().GetAwaiter().GetResult();
            // Once closed, the rest is taken: the takes still waiting got null.
            while (queue.TakeAsync().AsTask().GetAwaiter().GetResult() is { } rest)
            {
                takes.Add(new(rest));
            }

            Assert.All(takes, t => Assert.True(t.IsCompleted, "a take is still waiting on a closed queue"));
            Assert.All(rooms, r => Assert.True(r.IsCompleted, "a wait for room is still pending on a closed queue"));
            var taken = takes.Select(t => t.Result).OfType<ClaimedWorkItem>().Select(i => i.Key).ToList();
            Assert.Equal(added.Order(), taken.Concat(released).Order());
        }, iter: 2000);
    }

    [Fact]
    public async Task Items_past_the_capacity_and_after_the_close_are_given_back_and_awaited()
    {
        var release = new TaskCompletionSource();
        var released = new List<string>();
        var queue = new ReadyQueue(capacity: 2, refillAt: 0, async items =>
        {
            await release.Task;
            // The two releases may resume side by side (xunit's context runs continuations on its own threads).
            lock (released)
            {
                released.AddRange(items.Select(i => i.Key));
            }
        });

        var overflow = queue.Add([Item(0), Item(1), Item(2)]);
        queue.Close();
        var afterClose = queue.Add([Item(3)]);
        var all = queue.ReleasesAsync();

        Assert.False(all.IsCompleted);
        release.SetResult();
        await all;
        Assert.True(overflow.IsCompleted && afterClose.IsCompleted);
        Assert.Equal(["k2", "k3"], released.Order());
        Assert.Equal("k0", (await queue.TakeAsync())!.Key);
        Assert.Equal("k1", (await queue.TakeAsync())!.Key);
        Assert.Null(await queue.TakeAsync());
    }

    private static ClaimedWorkItem Item(int i) =>
        new(new WorkLease(i, $"t{i}"), $"k{i}", null, "{}", null, 0, 1, DateTimeOffset.UnixEpoch);
}
