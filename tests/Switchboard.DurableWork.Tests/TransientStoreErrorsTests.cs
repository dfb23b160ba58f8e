using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Switchboard.DurableWork.Tests;

/// <summary>What counts as "the database was briefly unavailable", for both backends.</summary>
public sealed class TransientStoreErrorsTests
{
    [Theory]
    [InlineData("57P01", true)] // admin shutdown: a restart or a failover
    [InlineData("57P02", true)] // crash shutdown
    [InlineData("57P03", true)] // cannot connect now: starting up
    [InlineData("08006", true)] // connection failure
    [InlineData("53300", true)] // too many connections
    [InlineData("23505", false)] // unique violation: the work's own
    [InlineData("42P01", false)] // undefined table: a bug
    public void PostgreSQL_errors_are_transient_by_their_SQLSTATE(string sqlState, bool transient) =>
        Assert.Equal(transient, TransientStoreErrors.IsTransient(new PostgresException("message", "FATAL", "FATAL", sqlState)));

    [Fact]
    public void A_refused_or_lost_PostgreSQL_connection_is_transient_also_when_wrapped() =>
        Assert.True(TransientStoreErrors.IsTransient(new InvalidOperationException("step failed",
            new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused)))));

    [Theory]
    [InlineData(5, true)] // SQLITE_BUSY
    [InlineData(6, true)] // SQLITE_LOCKED
    [InlineData(13, false)] // SQLITE_FULL: the disk, not a moment
    [InlineData(19, false)] // SQLITE_CONSTRAINT
    public void SQLite_errors_are_transient_when_the_database_is_busy_or_locked(int code, bool transient) =>
        Assert.Equal(transient, TransientStoreErrors.IsTransient(new SqliteException("message", code)));

    [Fact]
    public void Errors_without_a_database_error_inside_are_not_transient() =>
        Assert.False(TransientStoreErrors.IsTransient(new TimeoutException("a handler's own timeout")));
}
