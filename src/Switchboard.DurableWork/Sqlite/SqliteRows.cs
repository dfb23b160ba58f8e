using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Switchboard.DurableWork.Sqlite;

/// <summary>
/// A batch of rows as one JSON array of arrays, bound as a single parameter and read with <c>json_each</c>: one
/// statement per batch instead of one per row, which is most of the writer's cost. The JSON is written by the
/// calling thread, not the single writer thread.
/// </summary>
internal static class SqliteRows
{
    public static string Completions(IReadOnlyList<WorkCompletion> completions, long now) => Write(completions, completions.Sum(c => c.Lease.Token.Length + 64), (json, completion) =>
    {
        json.WriteNumberValue(completion.Lease.ItemId);
        json.WriteStringValue(completion.Lease.Token);
        json.WriteNumberValue(StoreSql.StatusCode(completion.Outcome));
        json.WriteNumberValue(completion.RetryAt is { } at ? StoreSql.Ms(at) : now);
        json.WriteNumberValue(StoreSql.CountsAttempt(completion.Outcome));
    });

    /// <summary>The attempt log entries of the completions for which <paramref name="include"/> is true.</summary>
    public static string Attempts(IReadOnlyList<WorkCompletion> completions, Func<int, bool> include)
    {
        var buffer = new ArrayBufferWriter<byte>(completions.Sum(c => c.AttemptLog.Sum(a => a.Detail.Length + 96)) + 16);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            for (var i = 0; i < completions.Count; i++)
            {
                if (!include(i))
                {
                    continue;
                }

                foreach (var attempt in completions[i].AttemptLog)
                {
                    json.WriteStartArray();
                    json.WriteNumberValue(completions[i].Lease.ItemId);
                    json.WriteNumberValue(attempt.Attempt);
                    json.WriteNumberValue(StoreSql.Ms(attempt.StartedAt));
                    json.WriteNumberValue(StoreSql.Ms(attempt.FinishedAt));
                    json.WriteNumberValue(attempt.Succeeded ? 1 : 0);
                    json.WriteStringValue(attempt.Detail);
                    json.WriteEndArray();
                }
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <param name="estimatedSize">About the bytes the rows take (escaping may add some), so the buffer rarely grows.</param>
    private static string Write<T>(IReadOnlyList<T> rows, int estimatedSize, Action<Utf8JsonWriter, T> writeRow)
    {
        var buffer = new ArrayBufferWriter<byte>(estimatedSize + 16);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var row in rows)
            {
                json.WriteStartArray();
                writeRow(json, row);
                json.WriteEndArray();
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
