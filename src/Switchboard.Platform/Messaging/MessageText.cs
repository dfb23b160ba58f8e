using System.Globalization;

namespace Switchboard.Platform.Messaging;

/// <summary>
/// How a text travels as SMS: GSM-7 when every character is in the GSM 03.38 alphabet (extension characters count
/// twice), else UCS-2; one part up to 160 (GSM-7) or 70 (UCS-2) units, and 153 or 67 per part beyond, as carriers split.
/// </summary>
public readonly record struct MessageText(string Encoding, int Parts, int NumChars)
{
    public const string Gsm7 = "GSM-7";
    public const string Ucs2 = "UCS-2";

    /// <summary>Most parts a message may need; a longer text is refused.</summary>
    public const int MaxParts = 10;

    /// <summary>
    /// The longest text of any message (an MMS; an SMS is held to <see cref="MaxParts"/> first). Telnyx sets no fixed
    /// number for MMS text (carriers take "several thousand characters", the whole MMS under 1 MB); a bound keeps one
    /// request from storing, and every webhook and list page from carrying, a megabyte of text.
    /// </summary>
    public const int MaxTextLength = 5_000;

    /// <summary>The longest MMS subject.</summary>
    public const int MaxSubjectLength = 64;

    private const string Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    private const string Extension = "^{}\\[~]|€\f";

    public static MessageText Of(string text)
    {
        var septets = 0;
        var gsm = true;
        foreach (var c in text)
        {
            if (Basic.Contains(c, StringComparison.Ordinal))
            {
                septets++;
            }
            else if (Extension.Contains(c, StringComparison.Ordinal))
            {
                septets += 2;
            }
            else
            {
                gsm = false;
                break;
            }
        }

        var numChars = new StringInfo(text).LengthInTextElements;
        return gsm
            ? new MessageText(Gsm7, PartsOf(septets, 160, 153), numChars)
            : new MessageText(Ucs2, PartsOf(text.Length, 70, 67), numChars);
    }

    private static int PartsOf(int units, int single, int perPart) =>
        units <= single ? 1 : (units + perPart - 1) / perPart;

    /// <summary>The emulator's price list: USD per SMS part, and per MMS.</summary>
    public static string Cost(string type, int parts) => type == "MMS"
        ? "0.0150"
        : (parts * 0.0040m).ToString("0.0000", CultureInfo.InvariantCulture);
}
