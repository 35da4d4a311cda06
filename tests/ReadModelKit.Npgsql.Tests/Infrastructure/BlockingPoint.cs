using Npgsql;

namespace ReadModelKit.Npgsql.Tests.Infrastructure;

/// <summary>
/// Makes a batch stop at a chosen point inside its transaction: a trigger waits on an advisory lock the test holds,
/// so the test can kill the applier's backend exactly there.
/// </summary>
public sealed class BlockingPoint : IAsyncDisposable
{
    private const long LockKey = 4_242_424;
    private readonly PostgresSchemaFixture _db;
    private readonly NpgsqlConnection _holder;
    private readonly string _dropSql;

    private BlockingPoint(PostgresSchemaFixture db, NpgsqlConnection holder, string dropSql)
    {
        _db = db;
        _holder = holder;
        _dropSql = dropSql;
    }

    /// <summary>Installs a trigger on <paramref name="table"/> (statement level, or deferred to commit) that blocks until released.</summary>
    public static async Task<BlockingPoint> InstallAsync(PostgresSchemaFixture db, string table, bool atCommit = false)
    {
        var name = "block_" + Guid.NewGuid().ToString("N")[..8];
        await db.ExecuteAsync($$"""
            CREATE FUNCTION {{name}}() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN
                PERFORM pg_advisory_lock_shared({{LockKey}});
                PERFORM pg_advisory_unlock_shared({{LockKey}});
                RETURN NULL;
            END $f$;
            """);
        await db.ExecuteAsync(atCommit
            ? $"CREATE CONSTRAINT TRIGGER {name} AFTER INSERT OR UPDATE ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {name}()"
            : $"CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {name}()");
        var holder = await db.DataSource.OpenConnectionAsync();
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({LockKey})", holder))
        {
            await take.ExecuteNonQueryAsync();
        }

        return new BlockingPoint(db, holder, $"DROP TRIGGER {name} ON {table}; DROP FUNCTION {name}();");
    }

    /// <summary>Waits (with a timeout) until a backend is blocked on the point, and terminates it.</summary>
    public async Task KillBlockedBackendAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var pid = await _db.ScalarAsync<int>($"SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = {LockKey} AND NOT granted LIMIT 1");
            if (pid != 0)
            {
                Assert.True(await _db.ScalarAsync<bool>($"SELECT pg_terminate_backend({pid})"));
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "No batch reached the blocking point in time.");
            await Task.Delay(20);
        }
    }

    /// <summary>Lets blocked backends continue.</summary>
    public async Task ReleaseAsync()
    {
        await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock_all()", _holder);
        await release.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await ReleaseAsync();
        await _holder.DisposeAsync();
        await _db.ExecuteAsync(_dropSql);
    }
}
