namespace Switchboard.Testing;

/// <summary>A writer that several threads may write to (a command's output, say), and what was written to it so far.</summary>
public sealed class CapturedText
{
    private readonly StringWriter _text = new();

    public CapturedText() => Writer = TextWriter.Synchronized(_text);

    public TextWriter Writer { get; }

    public string Text
    {
        get
        {
            // The synchronised writer locks on itself while writing.
            lock (Writer)
            {
                return _text.ToString();
            }
        }
    }
}
