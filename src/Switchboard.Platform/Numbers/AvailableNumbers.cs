using System.Globalization;
using Microsoft.AspNetCore.Http;
using Switchboard.DurableWork;
using Switchboard.Platform.Api;
using Switchboard.Platform.Storage;

namespace Switchboard.Platform.Numbers;

/// <summary>
/// <c>GET /available_phone_numbers</c>: a synthetic inventory, the same on every run. Each region is a block of numbers
/// no one can own: North American ones are <c>555-1000</c> to <c>555-9999</c> of an area code (the magic numbers of
/// docs/platform.md are 555-01xx, outside it), British ones Ofcom's ranges kept for drama. A search walks the blocks in
/// order, skips the numbers the account has, and stops at the limit; every number offered can be ordered.
/// </summary>
public sealed class AvailableNumbers(IWorkStore store)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 100;

    public static readonly IReadOnlyList<string> Features = ["sms", "mms", "voice", "fax", "emergency", "hd_voice", "international_sms", "local_calling"];
    public static readonly IReadOnlyList<string> Types = ["local", "toll_free", "mobile", "national", "shared_cost"];

    private const string Toll = "toll_free";
    private static readonly string[] LocalFeatures = ["sms", "mms", "voice", "fax", "emergency"];
    private static readonly string[] TollFreeFeatures = ["sms", "mms", "voice"];
    private static readonly string[] UkLandlineFeatures = ["voice", "fax", "emergency"];
    private static readonly string[] NanpTollFree = ["800", "833", "844", "855", "866", "877", "888"];

    private static readonly Region[] Regions =
    [
        Nanp("US", "212", "New York", "NY"), Nanp("US", "213", "Los Angeles", "CA"), Nanp("US", "312", "Chicago", "IL"),
        Nanp("US", "415", "San Francisco", "CA"), Nanp("US", "512", "Austin", "TX"), Nanp("US", "303", "Denver", "CO"),
        Nanp("US", "970", "Fort Collins", "CO"), Nanp("US", "206", "Seattle", "WA"), Nanp("US", "305", "Miami", "FL"),
        Nanp("US", "617", "Boston", "MA"), Nanp("US", "404", "Atlanta", "GA"),
        Nanp("CA", "416", "Toronto", "ON"), Nanp("CA", "604", "Vancouver", "BC"), Nanp("CA", "514", "Montreal", "QC"),
        .. NanpTollFree.Skip(2).Select(ndc => new Region("US", "1", ndc, $"{ndc}555", 1000, 9999, 4, null, null, Toll, TollFreeFeatures)),
        new("GB", "44", "20", "207946", 0, 999, 4, "London", null, "local", UkLandlineFeatures),
        new("GB", "44", "161", "1614960", 0, 999, 3, "Manchester", null, "local", UkLandlineFeatures),
        new("GB", "44", "7700", "7700900", 0, 999, 3, null, null, "mobile", TollFreeFeatures),
    ];

    /// <summary>The type of a number as an order records it: NANP toll-free codes, British mobiles, otherwise local.</summary>
    public static string TypeOf(string number) =>
        number.StartsWith("+1", StringComparison.Ordinal) && number.Length >= 5 && NanpTollFree.Contains(number[2..5]) ? Toll
        : number.StartsWith("+447", StringComparison.Ordinal) ? "mobile"
        : "local";

    /// <summary>Reads Telnyx's <c>filter[...]</c> parameters; 422 in Telnyx's error shape for a value the spec does not allow.</summary>
    public static NumberSearch ReadSearch(HttpRequest request)
    {
        var filters = new QueryFilters(ApiResults.ReadFilters(request));
        var country = filters.String("filter[country_code]")?.ToUpperInvariant();
        if (country is not null && (country.Length != 2 || !country.All(char.IsAsciiLetterUpper)))
        {
            filters.Bad("filter[country_code]", "an ISO 3166-1 alpha-2 country code such as US");
        }

        var type = filters.String("filter[phone_number_type]");
        if (type is not null && !Types.Contains(type))
        {
            filters.Bad("filter[phone_number_type]", $"one of {string.Join(", ", Types)}");
        }

        // The official SDK writes arrays comma-separated (filter[features]=sms,voice).
        var features = (filters.String("filter[features]") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        if (features.Any(f => !Features.Contains(f)))
        {
            filters.Bad("filter[features]", $"a comma-separated list of {string.Join(", ", Features)}");
        }

        var search = new NumberSearch
        {
            CountryCode = country ?? "US",
            PhoneNumberType = type,
            Features = features,
            Limit = filters.Int("filter[limit]", 1, MaxLimit) ?? DefaultLimit,
            StartsWith = Pattern("filter[phone_number][starts_with]"),
            Contains = Pattern("filter[phone_number][contains]"),
            EndsWith = Pattern("filter[phone_number][ends_with]"),
            Locality = filters.String("filter[locality]"),
            AdministrativeArea = filters.String("filter[administrative_area]"),
            NationalDestinationCode = filters.String("filter[national_destination_code]"),
            RateCenter = filters.String("filter[rate_center]"),
            BestEffort = filters.Bool("filter[best_effort]") ?? false,
        };
        if (search.NationalDestinationCode is { } ndc && (ndc.Length is 0 or > 6 || !ndc.All(char.IsAsciiDigit)))
        {
            filters.Bad("filter[national_destination_code]", "1 to 6 digits");
        }

        // Every number here is quickship and reservable and none is held, so these filters only need a valid value.
        filters.Bool("filter[quickship]");
        filters.Bool("filter[reservable]");
        filters.Bool("filter[exclude_held_numbers]");
        filters.ThrowIfInvalid();
        return search;

        // A pattern may spell a word (vanity numbers): letters count as their keypad digit.
        string? Pattern(string name)
        {
            if (filters.String(name) is not { } text)
            {
                return null;
            }

            var pattern = text.TrimStart('+').ToUpperInvariant();
            if (pattern.Length is 0 or > 15 || !pattern.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterUpper(c)))
            {
                filters.Bad(name, "up to 15 digits (letters count as their keypad digit)");
                return null;
            }

            return new string([.. pattern.Select(c => char.IsAsciiDigit(c) ? c : "22233344455566677778889999"[c - 'A'])]);
        }
    }

    /// <summary>The numbers a search finds, exact matches first, then (with best effort) numbers of the same country and type nearby.</summary>
    public Task<IReadOnlyList<AvailablePhoneNumber>> SearchAsync(NumberSearch search, CancellationToken cancellationToken = default) =>
        store.ReadAsync(async reader =>
        {
            var found = new List<AvailablePhoneNumber>();
            await TakeAsync(reader, search, exact: true, found);
            if (search.BestEffort && found.Count < search.Limit && IsNanp(search.CountryCode))
            {
                await TakeAsync(reader, search, exact: false, found);
            }

            return (IReadOnlyList<AvailablePhoneNumber>)found;
        }, cancellationToken);

    private static bool IsNanp(string country) => country is "US" or "CA";

    private static async ValueTask TakeAsync(IWorkReader reader, NumberSearch search, bool exact, List<AvailablePhoneNumber> found)
    {
        const int Chunk = 256;
        var offered = found.Select(f => f.PhoneNumber).ToHashSet(StringComparer.Ordinal);
        var candidates = Regions.Where(r => r.Matches(search, exact))
            .SelectMany(r => r.Numbers().Where(n => !exact || Matches(search, n.National, r)).Select(n => (Region: r, n.Number)))
            .Where(c => !offered.Contains(c.Number));
        foreach (var chunk in candidates.Chunk(Chunk))
        {
            var owned = await Resources.ExistingLookupsAsync(reader, ResourceKinds.PhoneNumber, [.. chunk.Select(c => c.Number)]);
            foreach (var (region, number) in chunk.Where(c => !owned.Contains(c.Number)))
            {
                found.Add(region.Offer(number, bestEffort: !exact));
                if (found.Count == search.Limit)
                {
                    return;
                }
            }
        }
    }

    // With a national destination code the patterns apply to the rest of the number, as Telnyx's filters say; without
    // one, starts_with may also give the country calling code (1312..., +1312...).
    private static bool Matches(NumberSearch search, string national, Region region)
    {
        var digits = search.NationalDestinationCode is null ? national : national[region.Ndc.Length..];
        return (search.StartsWith is not { } starts || digits.StartsWith(starts, StringComparison.Ordinal)
                || (search.NationalDestinationCode is null && (region.CallingCode + national).StartsWith(starts, StringComparison.Ordinal)))
            && (search.Contains is not { } contains || digits.Contains(contains, StringComparison.Ordinal))
            && (search.EndsWith is not { } ends || digits.EndsWith(ends, StringComparison.Ordinal));
    }

    private static Region Nanp(string country, string ndc, string locality, string state) =>
        new(country, "1", ndc, $"{ndc}555", 1000, 9999, 4, locality, state, "local", LocalFeatures);

    /// <summary>
    /// A block of numbers: <c>+{calling code}{prefix}{line}</c> for lines <paramref name="First"/> to <paramref name="Last"/>,
    /// written with <paramref name="LineDigits"/> digits.
    /// </summary>
    private sealed record Region(
        string Country, string CallingCode, string Ndc, string Prefix, int First, int Last, int LineDigits,
        string? Locality, string? State, string Type, string[] Features)
    {
        public bool Matches(NumberSearch search, bool exact) =>
            Country == search.CountryCode
            && (search.PhoneNumberType is null || search.PhoneNumberType == Type)
            && search.Features.All(Features.Contains)
            && (search.AdministrativeArea is null || string.Equals(search.AdministrativeArea, State, StringComparison.OrdinalIgnoreCase))
            && (!exact || ((search.Locality is null || string.Equals(search.Locality, Locality, StringComparison.OrdinalIgnoreCase))
                && (search.RateCenter is null || string.Equals(search.RateCenter, Locality, StringComparison.OrdinalIgnoreCase))
                && (search.NationalDestinationCode is null || search.NationalDestinationCode == Ndc)));

        public IEnumerable<(string Number, string National)> Numbers()
        {
            for (var line = First; line <= Last; line++)
            {
                var national = Prefix + line.ToString(CultureInfo.InvariantCulture).PadLeft(LineDigits, '0');
                yield return ($"+{CallingCode}{national}", national);
            }
        }

        public AvailablePhoneNumber Offer(string number, bool bestEffort)
        {
            var regions = new List<RegionInformation> { new("country_code", Country) };
            if (Locality is not null)
            {
                regions.Add(new("rate_center", Locality.ToUpperInvariant()));
            }

            if (State is not null)
            {
                regions.Add(new("state", State));
            }

            var cost = Country == "GB" ? new CostInformation("GBP", "1.00", "1.00") : new CostInformation("USD", "1.00", "1.00");
            return new AvailablePhoneNumber(number, bestEffort, cost, [.. Features.Select(f => new NumberFeature(f))], regions);
        }
    }
}

/// <summary>A number search's filters, as <see cref="AvailableNumbers.ReadSearch"/> read them (patterns as digits).</summary>
public sealed record NumberSearch
{
    public required string CountryCode { get; init; }
    public string? PhoneNumberType { get; init; }
    public IReadOnlyList<string> Features { get; init; } = [];
    public int Limit { get; init; } = AvailableNumbers.DefaultLimit;
    public string? StartsWith { get; init; }
    public string? Contains { get; init; }
    public string? EndsWith { get; init; }
    public string? Locality { get; init; }
    public string? AdministrativeArea { get; init; }
    public string? NationalDestinationCode { get; init; }
    public string? RateCenter { get; init; }
    public bool BestEffort { get; init; }
}

/// <summary>One number a search offers (<c>record_type: "available_phone_number"</c>).</summary>
public sealed record AvailablePhoneNumber(
    string PhoneNumber, bool BestEffort, CostInformation CostInformation, IList<NumberFeature> Features, IList<RegionInformation> RegionInformation)
{
    public string RecordType => "available_phone_number";
    public bool Quickship => true;
    public bool Reservable => true;
    public string VanityFormat => "";
}

public sealed record CostInformation(string Currency, string MonthlyCost, string UpfrontCost);

public sealed record NumberFeature(string Name);

public sealed record RegionInformation(string RegionType, string RegionName);

/// <summary>A search's <c>meta</c> (also sent as <c>metadata</c>, as Telnyx's answer has both).</summary>
public sealed record AvailablePhoneNumbersMetadata(long TotalResults, long BestEffortResults);

/// <summary>The answer of <c>GET /available_phone_numbers</c>.</summary>
public sealed record AvailablePhoneNumbersList(IReadOnlyList<AvailablePhoneNumber> Data, AvailablePhoneNumbersMetadata Meta)
{
    public AvailablePhoneNumbersMetadata Metadata => Meta;
}
