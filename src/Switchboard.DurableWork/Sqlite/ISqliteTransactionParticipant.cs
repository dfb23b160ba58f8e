using Microsoft.Data.Sqlite;

namespace Switchboard.DurableWork.Sqlite;

/// <summary>State kept beside the database that must follow the writer's transactions: begun, committed, rolled back.</summary>
internal interface ISqliteTransactionParticipant
{
    /// <summary>After <c>BEGIN</c>.</summary>
    void Begin(SqliteConnection connection);

    /// <summary>After the transaction's writes, before <c>COMMIT</c>; may write too.</summary>
    void BeforeCommit(SqliteWriter writer);

    void Committed();

    void RolledBack();

    /// <summary>A point to go back to when one write's savepoint is rolled back.</summary>
    int Mark();

    void RollbackTo(int mark);
}
