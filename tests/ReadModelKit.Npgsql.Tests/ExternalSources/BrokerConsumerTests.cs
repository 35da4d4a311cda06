using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.ExternalSources;

/// <summary>
/// The pattern docs/external-sources.md shows: a broker consumer hands each delivered batch to the applier and acknowledges
/// only after <see cref="ProjectionApplier.ApplyAsync(IReadOnlyList{EventEnvelope}, CancellationToken)"/> returned.
/// </summary>
public sealed class BrokerConsumer(ProjectionApplier applier)
{
    /// <summary>Called by the broker client for every delivered batch (at least once, in any order).</summary>
    public async Task OnBatchAsync(IReadOnlyList<EventEnvelope> delivered, Func<Task> acknowledge, CancellationToken cancellationToken)
    {
        // Inbox idempotency: redelivered events are skipped in the same transaction that writes the rows,
        // and the version guard keeps an older event from overwriting a newer row.
        await applier.ApplyAsync(delivered, cancellationToken);
        await acknowledge();
    }
}

public sealed class BrokerConsumerTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task At_least_once_out_of_order_delivery_with_lost_acknowledgements_ends_in_the_reference_rows()
    {
        var projection = new CaseListProjection(ContractFor("broker_cases", IdempotencyMode.Inbox));
        var store = await StoreFactory.CreateAsync(db, projection, "broker_cases_rm");
        var consumer = new BrokerConsumer(store.GetApplier("broker_cases"));
        var random = new Random(7);
        var events = Enumerable.Range(1, 20)
            .SelectMany(c => Enumerable.Range(1, 4).Select(v => v == 4 && c % 5 == 0 ? Deleted("t1", c, v) : Upserted("t1", c, v, "s" + v)))
            .ToList();

        // The broker redelivers every batch whose acknowledgement was lost, and shuffles what it sends.
        var unacknowledged = events.OrderBy(_ => random.Next()).ToList();
        var deliveries = 0;
        while (unacknowledged.Count > 0 && deliveries < 200)
        {
            deliveries++;
            var batch = unacknowledged.Take(random.Next(1, 12)).ToList();
            var acknowledged = false;
            await consumer.OnBatchAsync(batch, () => { acknowledged = random.Next(3) > 0; return Task.CompletedTask; }, default);
            if (acknowledged)
            {
                unacknowledged.RemoveAll(batch.Contains);
            }

            unacknowledged = unacknowledged.OrderBy(_ => random.Next()).ToList();
        }

        Assert.Empty(unacknowledged);
        Assert.Equal(OutboxFixtures.Reference(events), await ReadModelRows.ReadAsync(db.DataSource, "broker_cases_rm"));
        Assert.Equal(events.Count, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_rmk\".inbox WHERE projection_name = 'broker_cases'"));
    }
}
