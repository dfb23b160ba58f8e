using System.CommandLine;
using Switchboard.Delivery.Outbox;

namespace Switchboard.Cli.Commands;

/// <summary>An option that takes one duration as the retry schedule writes them (<c>500ms</c>, <c>2s</c>, <c>1m</c>; <c>0</c>), refused with its own name otherwise.</summary>
internal static class DurationOption
{
    public static Option<TimeSpan> Create(string name, string description, TimeSpan defaultValue, TimeSpan max) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = string.Join(' ', result.Tokens.Select(t => t.Value));
            if (DeliverySchedule.TryParseDuration(text, out var duration) && duration <= max)
            {
                return duration;
            }

            result.AddError($"{name} must be a duration such as 500ms, 2s or 1m (at most {max}); got '{text}'");
            return TimeSpan.Zero;
        },
    };
}
