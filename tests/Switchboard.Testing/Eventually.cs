using System.Diagnostics;

namespace Switchboard.Testing;

/// <summary>
/// Waits for a condition that other threads or processes make true, looking again every 20 ms. The patience only keeps
/// a broken test from hanging: a test asserts what happened, and where a duration is what it tests, it measures that
/// duration itself (from timestamps of what it saw), not with the patience.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultPatience = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? patience = null) =>
        GetAsync(() => Task.FromResult(condition()), done => done, what, patience);

    public static Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? patience = null) =>
        GetAsync(condition, done => done, what, patience);

    /// <summary>Reads until the read returns something (not null), and returns that.</summary>
    public static async Task<T> GetAsync<T>(Func<Task<T?>> read, string what, TimeSpan? patience = null)
        where T : class =>
        (await GetAsync(read, value => value is not null, what, patience))!;

    /// <summary>Reads until <paramref name="done"/> holds for what was read, and returns that; throws <see cref="TimeoutException"/> naming <paramref name="what"/> and the last value read.</summary>
    public static async Task<T> GetAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? patience = null)
    {
        var limit = patience ?? DefaultPatience;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (clock.Elapsed > limit)
            {
                var last = value is bool ? "" : $"; last value: {value}";
                throw new TimeoutException($"gave up after {limit.TotalSeconds:0.#} s waiting for {what}{last}");
            }

            await Task.Delay(Interval);
        }
    }
}
