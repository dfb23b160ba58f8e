using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Switchboard.Cli.Commands;

/// <summary>An option that takes a positive number of seconds (fractions allowed), refused with its own name otherwise.</summary>
internal static class SecondsOption
{
    /// <summary>The most a <see cref="TimeSpan"/>-based HTTP timeout takes (milliseconds in an int).</summary>
    private const double MaxSeconds = int.MaxValue / 1000;

    public static Option<double> Create(string name, string description, double defaultSeconds) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultSeconds,
        CustomParser = result => Parse(name, result),
    };

    private static double Parse(string name, ArgumentResult result)
    {
        var text = string.Join(' ', result.Tokens.Select(t => t.Value));
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and <= MaxSeconds)
        {
            return seconds;
        }

        result.AddError($"{name} must be a positive number of seconds (at most {MaxSeconds}); got '{text}'");
        return 0;
    }
}
