namespace Switchboard.Cli.Commands;

/// <summary>Reading the files the verbs take; "-" means standard input.</summary>
internal static class CliFiles
{
    public static byte[] ReadBody(string path)
    {
        if (path == "-")
        {
            using var stdin = Console.OpenStandardInput();
            using var buffer = new MemoryStream();
            stdin.CopyTo(buffer);
            return buffer.ToArray();
        }

        return File.ReadAllBytes(path);
    }
}
