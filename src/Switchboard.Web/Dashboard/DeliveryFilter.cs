using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Switchboard.Web.Dashboard;

/// <summary>
/// The deliveries list's filters as the page's query string has them (<c>status</c>, <c>event_type</c>, <c>q</c>,
/// <c>from</c>, <c>to</c>, <c>page</c>), turned into the API's <c>filter[...]</c> parameters, so the list is read and
/// validated exactly as <c>GET /v2/webhook_deliveries</c> reads it.
/// </summary>
public sealed record DeliveryFilter(string? Status, string? EventType, string? Text, string? From, string? To, int Page)
{
    public const int PageSize = 50;

    /// <summary>The longest filter value read from the query (the API cuts at the same length).</summary>
    private const int MaxValueLength = 1000;

    public static DeliveryFilter Read(IQueryCollection query)
    {
        var page = int.TryParse(query["page"], NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= 1 ? number : 1;
        return new DeliveryFilter(Value("status"), Value("event_type"), Value("q"), Value("from"), Value("to"), page);

        string? Value(string name) => query[name].ToString() is { Length: > 0 } value ? value[..Math.Min(value.Length, MaxValueLength)] : null;
    }

    /// <summary>The API's filter parameters. Times from the page's inputs carry no zone: they are UTC, as the page says.</summary>
    public IReadOnlyDictionary<string, string> ApiFilters()
    {
        var filters = new Dictionary<string, string>(StringComparer.Ordinal);
        Add("filter[status][eq]", Status);
        Add("filter[event_type]", EventType);
        Add("filter[webhook][contains]", Text);
        Add("filter[started_at][gte]", From);
        Add("filter[started_at][lte]", To);
        return filters;

        void Add(string name, string? value)
        {
            if (value is not null)
            {
                filters[name] = value;
            }
        }
    }

    /// <summary>The query string of this filter on another page (paging links, the live channel).</summary>
    public string Query(int? page = null) => QueryString.Create(new[]
    {
        KeyValuePair.Create("status", Status),
        KeyValuePair.Create("event_type", EventType),
        KeyValuePair.Create("q", Text),
        KeyValuePair.Create("from", From),
        KeyValuePair.Create("to", To),
        KeyValuePair.Create("page", (page ?? Page) == 1 ? null : (page ?? Page).ToString(CultureInfo.InvariantCulture)),
    }.Where(p => p.Value is not null)).ToString();
}
