using System.Net.Http.Headers;

namespace Switchboard.Delivery.Http;

/// <summary>
/// Collects headers for the attempt log, up to <see cref="MaxChars"/> characters of header text in all
/// (counted as <c>name: value</c> lines); the header that crosses the limit is cut and the rest are left out.
/// </summary>
internal struct HeaderLog(int capacity)
{
    public const int MaxChars = SendOutcome.MaxLoggedBodyBytes;
    private const int LineOverhead = 4; // ": " and CRLF

    private KeyValuePair<string, string>[] _entries = new KeyValuePair<string, string>[capacity];
    private int _count;
    private int _chars;

    public readonly bool IsFull => _chars >= MaxChars;

    public void Add(string name, string value)
    {
        if (IsFull)
        {
            return;
        }
        int remaining = MaxChars - _chars - name.Length - LineOverhead;
        if (remaining < 0)
        {
            _chars = MaxChars;
            return;
        }
        if (value.Length > remaining)
        {
            value = value[..remaining];
        }
        if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, Math.Max(4, _entries.Length * 2));
        }
        _entries[_count++] = new(name, value);
        _chars += name.Length + value.Length + LineOverhead;
    }

    public void AddAll(HttpHeaders headers)
    {
        foreach (KeyValuePair<string, HeaderStringValues> header in headers.NonValidated)
        {
            foreach (string value in header.Value)
            {
                Add(header.Key, value);
            }
        }
    }

    public readonly IReadOnlyList<KeyValuePair<string, string>> ToList() =>
        _count == _entries.Length ? _entries : new ArraySegment<KeyValuePair<string, string>>(_entries, 0, _count);
}
