using System.Text.RegularExpressions;

namespace Switchboard.Platform.Numbers;

/// <summary>+E.164 numbers: a '+', a country code not starting with 0, 7 to 15 digits in all.</summary>
public static partial class E164
{
    public static bool IsValid(string? number) => number is not null && Pattern().IsMatch(number);

    /// <summary>A request's required number field: null, with the error added to the body, when it is missing or not +E.164.</summary>
    internal static string? Required(Api.JsonBody body, string name)
    {
        var number = body.String(name, required: true, maxLength: 32);
        if (number is not null && !IsValid(number))
        {
            body.Add(Api.ApiErrors.NotE164(body.Pointer(name), number));
            return null;
        }

        return number;
    }

    /// <summary>The ISO 3166-1 alpha-2 country of a number, from its calling code (NANP numbers count as US).</summary>
    public static string Country(string number)
    {
        var digits = number.TrimStart('+');
        foreach (var (prefix, country) in Prefixes)
        {
            if (digits.StartsWith(prefix, StringComparison.Ordinal))
            {
                return country;
            }
        }

        return "ZZ";
    }

    private static readonly (string Prefix, string Country)[] Prefixes =
    [
        ("1", "US"), ("44", "GB"), ("49", "DE"), ("33", "FR"), ("34", "ES"), ("39", "IT"), ("31", "NL"), ("32", "BE"),
        ("41", "CH"), ("43", "AT"), ("45", "DK"), ("46", "SE"), ("47", "NO"), ("48", "PL"), ("351", "PT"), ("353", "IE"),
        ("358", "FI"), ("61", "AU"), ("64", "NZ"), ("81", "JP"), ("82", "KR"), ("86", "CN"), ("91", "IN"), ("52", "MX"),
        ("55", "BR"), ("54", "AR"), ("27", "ZA"), ("65", "SG"), ("972", "IL"), ("971", "AE"),
    ];

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    private static partial Regex Pattern();
}
