namespace Switchboard.Signing;

/// <summary>Parsing and freshness checks for the timestamp headers every scheme carries.</summary>
internal static class Timestamps
{
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    /// <summary>Digits only (no sign, no spaces, no decimal point), at most 18 of them.</summary>
    public static bool TryParseDigits(string value, out long result)
    {
        result = 0;
        if (value.Length is 0 or > 18)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            result = (result * 10) + (c - '0');
        }

        return true;
    }

    /// <summary>
    /// Checks a header holding Unix seconds (or milliseconds, for the seed scheme) against now ± tolerance.
    /// Returns null when it is fresh, otherwise the failure naming the likely mistake.
    /// </summary>
    public static VerificationResult? Check(string headerName, string? header, bool milliseconds, TimeProvider time, TimeSpan tolerance, out long timestamp)
    {
        timestamp = 0;
        if (string.IsNullOrEmpty(header))
        {
            return VerificationResult.Fail(VerificationFailure.MissingHeader, $"missing header '{headerName}'");
        }

        var unit = milliseconds ? "milliseconds" : "seconds";
        if (header.Length > 18 && header.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0)
        {
            // Digits, but more than any clock reads (in milliseconds, 18 digits last until the year 33658).
            return VerificationResult.Fail(VerificationFailure.TimestampOutsideTolerance,
                $"header '{headerName}' is {header.Length} digits long, out of range for Unix time in {unit}: far outside the tolerance");
        }

        if (!TryParseDigits(header, out timestamp))
        {
            return VerificationResult.Fail(VerificationFailure.MalformedTimestamp,
                $"header '{headerName}' must be Unix time in {unit}, digits only");
        }

        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        var now = milliseconds ? nowMs : nowMs / 1000;
        var limit = milliseconds ? (long)tolerance.TotalMilliseconds : (long)tolerance.TotalSeconds;
        if (Math.Abs(now - timestamp) <= limit)
        {
            return null;
        }

        string hint = (milliseconds, timestamp) switch
        {
            (false, > 100_000_000_000) => "; it looks like milliseconds, but this scheme uses Unix seconds",
            (true, < 100_000_000_000) => "; it looks like seconds, but this scheme uses Unix milliseconds",
            _ => timestamp < now ? " (too old: a replay or a clock behind)" : " (in the future: a clock ahead)",
        };
        return VerificationResult.Fail(VerificationFailure.TimestampOutsideTolerance,
            $"header '{headerName}' is {Math.Abs(now - timestamp)} {unit} from now, more than the tolerance of {limit}{hint}");
    }
}
