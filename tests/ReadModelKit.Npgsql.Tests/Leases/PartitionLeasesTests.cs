using Npgsql;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Leases;
using ReadModelKit.Npgsql.Sql;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.Leases;

public sealed class PartitionLeasesTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(30);

    private string Lease => $"\"{db.Schema}_rmk\".lease";

    private PartitionLeases Node(string projection, string node, int partitions = 4) =>
        new(db.DataSource, SqlIdentifier.From(db.Schema + "_rmk", "schema"), projection, partitions, node, Duration);

    private async Task<NpgsqlReadModelStore> StoreAsync(string name)
    {
        return await OutboxFixtures.NewProjectionAsync(db, name);
    }

    private Task ExpireAsync(string projection, string owner) =>
        db.ExecuteAsync($"UPDATE {Lease} SET expires_at = now() - interval '1 second' WHERE projection_name = '{projection}' AND owner = '{owner}'");

    [Fact]
    public async Task A_joining_node_gets_its_fair_share_once_the_first_releases_its_extras()
    {
        await StoreAsync("fair");
        var a = Node("fair", "a");
        var b = Node("fair", "b");
        await a.EnsureAsync(default);
        await b.EnsureAsync(default);

        var aAlone = await a.HeartbeatAsync([], default);
        var bJoins = await b.HeartbeatAsync([], default);
        var aRebalances = await a.HeartbeatAsync([0, 1, 2, 3], default);
        var bClaims = await b.HeartbeatAsync([], default);

        Assert.Equal([0, 1, 2, 3], aAlone.Owned.Select(l => l.Partition));
        Assert.All(aAlone.Owned, l => Assert.Equal(1, l.Token));
        Assert.Empty(bJoins.Owned);
        Assert.Equal(2, bJoins.LiveNodes);
        Assert.Equal([3, 2], aRebalances.Released);
        Assert.Equal([0, 1], aRebalances.Owned.Select(l => l.Partition));
        Assert.Empty(aRebalances.Lost);
        Assert.Equal([2, 3], bClaims.Owned.Select(l => l.Partition));
        Assert.All(bClaims.Owned, l => Assert.Equal(2, l.Token));
    }

    [Fact]
    public async Task An_expired_lease_is_taken_over_with_a_higher_token_and_the_old_holder_cannot_commit()
    {
        var store = await StoreAsync("takeover");
        var applier = store.GetApplier("takeover");
        var a = Node("takeover", "a", partitions: 1);
        var b = Node("takeover", "b", partitions: 1);
        await a.EnsureAsync(default);
        var aLease = (await a.HeartbeatAsync([], default)).Owned.Single();
        await ExpireAsync("takeover", "a");

        var bLease = (await b.HeartbeatAsync([], default)).Owned.Single();
        var aBeat = await a.HeartbeatAsync([0], default);
        var stale = await Assert.ThrowsAsync<LeaseLostException>(async () => await applier.ApplyAsync(
            [Upserted("t1", 1, 1, "written by the stale node", position: 10)], StreamPosition.Start, 0,
            (c, t, ct) => a.FenceAsync(c, t, aLease, ct), default));
        var fresh = await applier.ApplyAsync(
            [Upserted("t1", 1, 1, "written by the new holder", position: 10)], StreamPosition.Start, 0,
            (c, t, ct) => b.FenceAsync(c, t, bLease, ct), default);

        Assert.Equal(aLease.Token + 1, bLease.Token);
        Assert.Equal([0], aBeat.Lost);
        Assert.Empty(aBeat.Owned);
        Assert.Equal((0, "a", aLease.Token), (stale.Partition, stale.NodeId, stale.Token));
        Assert.Contains("no longer holds the lease of partition 0 of projection 'takeover'", stale.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was written", stale.Message, StringComparison.Ordinal);
        Assert.Equal(1, fresh.Applied);
        Assert.Equal([new CaseRow("t1", 1, "written by the new holder", null, 1, false)], await ReadModelRows.ReadAsync(db.DataSource, "takeover_rm"));
    }

    [Fact]
    public async Task A_takeover_waits_for_the_batch_in_flight_while_renewals_never_block_it()
    {
        await StoreAsync("inflight");
        var a = Node("inflight", "a", partitions: 1);
        var b = Node("inflight", "b", partitions: 1);
        await a.EnsureAsync(default);
        var aLease = (await a.HeartbeatAsync([], default)).Owned.Single();

        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using (var batch = await connection.BeginTransactionAsync())
        {
            await a.FenceAsync(connection, batch, aLease, default);
            var renewal = await a.HeartbeatAsync([0], default).WaitAsync(TimeSpan.FromSeconds(10));
            await ExpireAsync("inflight", "a");
            var duringBatch = await b.HeartbeatAsync([], default).WaitAsync(TimeSpan.FromSeconds(10));
            await batch.CommitAsync();

            Assert.Equal([aLease], renewal.Owned);
            Assert.Empty(duringBatch.Owned);
        }

        var afterBatch = await b.HeartbeatAsync([], default);
        Assert.Equal([new PartitionLease(0, aLease.Token + 1)], afterBatch.Owned);
    }

    [Fact]
    public async Task Releasing_hands_partitions_over_at_once()
    {
        await StoreAsync("handover");
        var a = Node("handover", "a", partitions: 2);
        var b = Node("handover", "b", partitions: 2);
        await a.EnsureAsync(default);
        await a.HeartbeatAsync([], default);

        await a.ReleaseAllAsync(default);
        var bAlone = await b.HeartbeatAsync([], default);

        Assert.Equal([0, 1], bAlone.Owned.Select(l => l.Partition));
        Assert.Equal(1, bAlone.LiveNodes);
    }

    [Fact]
    public async Task The_partition_of_a_key_is_the_non_negative_remainder_of_its_hash_and_every_partition_gets_keys()
    {
        // The oracle computes the documented rule (hashtextextended(key, 0) mod n, made non-negative) in exact numeric arithmetic.
        var sql = $"""
            SELECT count(*) FILTER (WHERE p IS DISTINCT FROM ((hashtextextended(k, 0)::numeric % n + n) % n)::int4),
                   count(DISTINCT (n, p))
            FROM (SELECT k, n, {Partitioning.Of("k", "n")} AS p
                  FROM (SELECT md5(i::text) || '/' || i AS k, n FROM generate_series(1, 5000) i, unnest(ARRAY[1, 2, 3, 7, 16]) n) keys) x
            """;

        await using var command = db.DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();

        Assert.Equal(0, reader.GetInt64(0));
        Assert.Equal(1 + 2 + 3 + 7 + 16, reader.GetInt64(1));
    }

    [Fact]
    public async Task A_node_configured_with_another_partition_count_is_refused()
    {
        await StoreAsync("mismatch");
        await Node("mismatch", "a", partitions: 4).EnsureAsync(default);

        var error = await Assert.ThrowsAsync<PartitionCountMismatchException>(() => Node("mismatch", "b", partitions: 2).EnsureAsync(default));

        Assert.Equal((2, 4), (error.Configured, error.Existing));
        Assert.Contains("is split into 4 partition(s), but this runner is configured with PartitionCount = 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("set ProjectionRunnerOptions.PartitionCount to 4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_configured_with_more_partitions_is_refused_and_writes_no_lease_row()
    {
        await StoreAsync("grow");
        await Node("grow", "a", partitions: 2).EnsureAsync(default);

        var error = await Assert.ThrowsAsync<PartitionCountMismatchException>(() => Node("grow", "b", partitions: 3).EnsureAsync(default));

        Assert.Equal((3, 2), (error.Configured, error.Existing));
        Assert.Contains("is split into 2 partition(s), but this runner is configured with PartitionCount = 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("set ProjectionRunnerOptions.PartitionCount to 2", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, await db.ScalarAsync<long>($"SELECT count(*) FROM {Lease} WHERE projection_name = 'grow'"));
        Assert.Equal(2, await db.ScalarAsync<int>($"SELECT min(partition_count) FROM {Lease} WHERE projection_name = 'grow'"));
        Assert.Equal(2, await db.ScalarAsync<int>($"SELECT max(partition_count) FROM {Lease} WHERE projection_name = 'grow'"));

        // The original count still starts.
        await Node("grow", "c", partitions: 2).EnsureAsync(default);
    }

    [Fact]
    public async Task Lease_rows_left_with_two_partition_counts_are_refused_for_every_count()
    {
        await StoreAsync("mixed");
        await Node("mixed", "a", partitions: 2).EnsureAsync(default);
        // What an earlier version wrote when a node started with 3 partitions after 2: partition 2 with count 3.
        await db.ExecuteAsync($"INSERT INTO {Lease} (projection_name, partition_id, partition_count) VALUES ('mixed', 2, 3)");

        foreach (var count in new[] { 2, 3 })
        {
            var error = await Assert.ThrowsAsync<PartitionCountMismatchException>(() => Node("mixed", "b", partitions: count).EnsureAsync(default));
            Assert.Equal(count, error.Configured);
            Assert.Equal(
                $"The lease rows of projection 'mixed' disagree on the partition count (3 row(s) with counts 2 to 3), so this runner (PartitionCount = {count}) cannot start. Repartition as described in docs/runner.md (stop every node, delete the projection's lease rows, align its checkpoint rows), then start every node with the same PartitionCount.",
                error.Message);
        }

        Assert.Equal(3, await db.ScalarAsync<long>($"SELECT count(*) FROM {Lease} WHERE projection_name = 'mixed'"));
    }

    [Fact]
    public async Task A_node_starting_while_another_creates_the_rows_with_another_count_waits_and_is_refused()
    {
        const long gate = 7_310_001;
        await StoreAsync("race");
        // A statement trigger holds the first node's insert until the test opens the gate, so the second starts while it is in flight.
        await db.ExecuteAsync($$"""
            CREATE FUNCTION "{{db.Schema}}_rmk".race_gate() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN PERFORM pg_advisory_lock_shared({{gate}}); PERFORM pg_advisory_unlock_shared({{gate}}); RETURN NULL; END $f$;
            CREATE TRIGGER race_gate BEFORE INSERT ON {{Lease}} FOR EACH STATEMENT EXECUTE FUNCTION "{{db.Schema}}_rmk".race_gate();
            """);
        try
        {
            await using var holder = await db.DataSource.OpenConnectionAsync();
            await using (var close = new NpgsqlCommand($"SELECT pg_advisory_lock({gate})", holder))
            {
                await close.ExecuteNonQueryAsync();
            }

            // Backends waiting at the gate, or for the lease creation lock of projection 'race'.
            var waiting = $"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND ((objsubid = 1 AND objid = {gate}) OR (objsubid = 2 AND objid = hashtext('race')::oid))";
            var first = Node("race", "a", partitions: 2).EnsureAsync(default);
            await Eventually.TrueAsync(async () => await db.ScalarAsync<long>(waiting) == 1, TimeSpan.FromSeconds(30), "the first node waits at the gate");
            var second = Node("race", "b", partitions: 3).EnsureAsync(default);
            await Eventually.TrueAsync(async () => await db.ScalarAsync<long>(waiting) == 2, TimeSpan.FromSeconds(30), "the second node waits too");
            await using (var open = new NpgsqlCommand($"SELECT pg_advisory_unlock({gate})", holder))
            {
                await open.ExecuteNonQueryAsync();
            }

            await first;
            var error = await Assert.ThrowsAsync<PartitionCountMismatchException>(() => second);
            Assert.Equal((3, 2), (error.Configured, error.Existing));
            Assert.Equal(2, await db.ScalarAsync<long>($"SELECT count(*) FROM {Lease} WHERE projection_name = 'race'"));
            Assert.Equal(2, await db.ScalarAsync<int>($"SELECT max(partition_count) FROM {Lease} WHERE projection_name = 'race'"));
        }
        finally
        {
            await db.ExecuteAsync($"DROP TRIGGER race_gate ON {Lease}; DROP FUNCTION \"{db.Schema}_rmk\".race_gate();");
        }
    }
}
