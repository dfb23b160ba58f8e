using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Switchboard.Cli.Commands;

/// <summary>An option that takes a positive number of seconds (fractions allowed) up to a limit, refused with its own name otherwise.</summary>
internal static class SecondsOption
{
    public static Option<double> Create(string name, string description, double defaultSeconds, double maxSeconds) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultSeconds,
        CustomParser = result => Parse(name, maxSeconds, result),
    };

    private static double Parse(string name, double maxSeconds, ArgumentResult result)
    {
        var text = string.Join(' ', result.Tokens.Select(t => t.Value));
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= maxSeconds)
        {
            return seconds;
        }

        result.AddError($"{name} must be a positive number of seconds (at most {maxSeconds.ToString(CultureInfo.InvariantCulture)}); got '{text}'");
        return 0;
    }
}
