using Switchboard.Testing;

namespace Switchboard.DurableWork.Tests;

/// <summary>The test classes of this project that share one <see cref="PostgresServer"/>.</summary>
[CollectionDefinition(PostgresServer.Collection)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>;
