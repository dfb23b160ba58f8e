using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;

namespace Switchboard.DurableWork;

/// <summary>Opens the registered store when the host starts; built by a store package (see <see cref="WorkStoreBuilder.UseStore"/>).</summary>
public delegate Task<IWorkStore> WorkStoreOpening(CancellationToken cancellationToken);

/// <summary>
/// Chooses the one work store of a host and the migrations to run in it; see <c>services.AddWorkStore(...)</c>. The store is
/// opened once, when the host starts, before any other hosted service (and so before the web server); the container
/// disposes it when the host is disposed.
/// </summary>
public sealed class WorkStoreBuilder
{
    private readonly List<(string Component, IReadOnlyList<string> Migrations)> _migrations = [];
    private Func<IServiceProvider, WorkStoreOpening>? _store;
    private Func<IWorkStore, IWorkStore>? _wrap;

    internal WorkStoreBuilder(IServiceCollection services) => Services = services;

    /// <summary>The host's services.</summary>
    public IServiceCollection Services { get; }

    /// <summary>True once a store was chosen (<see cref="UseSqlite(Action{SqliteWorkStoreOptions})"/>, <c>UseNpgsql</c>, ...): a component's default then stays unused.</summary>
    public bool HasStore => _store is not null;

    /// <summary>
    /// The embedded store: a SQLite file written by this process alone (see <see cref="WorkStore.OpenSqliteAsync"/>). A
    /// second process on the same file fails its start with <see cref="WorkStoreInUseException"/>. Replaces a store chosen before.
    /// </summary>
    public WorkStoreBuilder UseSqlite(Action<SqliteWorkStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return UseSqlite((_, options) => configure(options));
    }

    /// <summary>
    /// Like <see cref="UseSqlite(Action{SqliteWorkStoreOptions})"/>, with the host's services at hand to configure the
    /// store (called once, when the store is built).
    /// </summary>
    public WorkStoreBuilder UseSqlite(Action<IServiceProvider, SqliteWorkStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return UseStore(services =>
        {
            var options = new SqliteWorkStoreOptions { DatabasePath = "" };
            configure(services, options);
            var time = services.GetRequiredService<TimeProvider>();
            return cancellationToken => WorkStore.OpenSqliteAsync(options, time, cancellationToken);
        });
    }

    /// <summary>
    /// For store packages (<c>UseNpgsql</c> in Switchboard.DurableWork.PostgreSql) and components that open a store their
    /// own way: <paramref name="build"/> runs once, in the container's factory, and takes what it needs from the host's
    /// services (logger factory, <see cref="TimeProvider"/>, a data source); the function it returns opens the store when the
    /// host starts. Replaces a store chosen before.
    /// </summary>
    public WorkStoreBuilder UseStore(Func<IServiceProvider, WorkStoreOpening> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        _store = build;
        return this;
    }

    /// <summary>
    /// Indexes the queries over <paramref name="queue"/>'s items (<see cref="IWorkStore.QueryAsync"/>'s status and tag
    /// filters, <see cref="IWorkStore.ListAttemptsAsync"/>), for a queue read as a log (webhook deliveries). The indexes are
    /// partial on the queue: the writes of the store's other queues do not pay for them. Made when the store opens.
    /// </summary>
    public WorkStoreBuilder AddQueryIndexes(string queue) =>
        AddMigrations(DocumentSql.QueryIndexesComponent(queue), [DocumentSql.QueryIndexesOf(queue)]);

    /// <summary>
    /// Runs a component's own schema migrations in the store (<see cref="IWorkStore.MigrateAsync"/>) right after it opens,
    /// before any other hosted service starts. Each component's list is applied in order, once; a component added again
    /// keeps its first list.
    /// </summary>
    public WorkStoreBuilder AddMigrations(string component, IReadOnlyList<string> migrations)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(component);
        ArgumentNullException.ThrowIfNull(migrations);
        if (!_migrations.Any(m => m.Component == component))
        {
            _migrations.Add((component, migrations));
        }

        return this;
    }

    /// <summary>
    /// Tests and instrumentation: the host uses what <paramref name="wrap"/> makes of the store once it is open (a wrapper
    /// that forwards every member to it, such as a test's view of when the workers are idle).
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public WorkStoreBuilder Wrap(Func<IWorkStore, IWorkStore> wrap)
    {
        ArgumentNullException.ThrowIfNull(wrap);
        _wrap = wrap;
        return this;
    }

    internal WorkStoreHost Build(IServiceProvider services)
    {
        var build = _store ?? throw new InvalidOperationException(
            "AddWorkStore: no store was chosen; call UseSqlite (or UseNpgsql, in Switchboard.DurableWork.PostgreSql) on its builder");
        var open = build(services);
        if (_wrap is { } wrap)
        {
            var unwrapped = open;
            open = async cancellationToken => wrap(await unwrapped(cancellationToken));
        }

        return new WorkStoreHost(open, [.. _migrations]);
    }
}
