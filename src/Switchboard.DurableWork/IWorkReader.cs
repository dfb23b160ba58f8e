using System.Data.Common;

namespace Switchboard.DurableWork;

/// <summary>The database behind a store, for the few statements whose SQL differs between the two.</summary>
public enum WorkStoreBackend
{
    Sqlite,
    Postgres,
}

/// <summary>A named parameter of a statement, written <c>@name</c> in its SQL (both backends accept that form).</summary>
public readonly record struct SqlArg(string Name, object? Value);

/// <summary>Reads the store's database inside one consistent snapshot.</summary>
public interface IWorkReader
{
    WorkStoreBackend Backend { get; }

    /// <summary>Runs a query and maps each row with <paramref name="read"/>.</summary>
    ValueTask<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> read, params SqlArg[] args);
}
