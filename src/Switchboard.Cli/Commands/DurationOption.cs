using System.CommandLine;
using Switchboard.Delivery.Outbox;

namespace Switchboard.Cli.Commands;

/// <summary>An option that takes one duration as the retry schedule writes them (<c>500ms</c>, <c>2s</c>, <c>1m</c>; <c>0</c>), refused with its own name otherwise.</summary>
internal static class DurationOption
{
    public static Option<Duration> Create(string name, string description, TimeSpan defaultValue, TimeSpan max, TimeSpan? min = null) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => new Duration(defaultValue),
        CustomParser = result =>
        {
            var text = string.Join(' ', result.Tokens.Select(t => t.Value));
            if (DeliverySchedule.TryParseDuration(text, out var duration) && duration <= max && duration >= (min ?? TimeSpan.Zero))
            {
                return new Duration(duration);
            }

            var range = min is { } least ? $"between {new Duration(least)} and {new Duration(max)}" : $"at most {new Duration(max)}";
            result.AddError($"{name} must be a duration such as 500ms, 2s or 1m ({range}); got '{text}'");
            return default;
        },
    };
}

/// <summary>A duration that prints as the options take it (<c>500ms</c>, not <c>00:00:00.5000000</c>), so help shows defaults that way.</summary>
internal readonly record struct Duration(TimeSpan Value)
{
    public static implicit operator TimeSpan(Duration duration) => duration.Value;

    public override string ToString() => DeliverySchedule.FormatDuration(Value);
}
