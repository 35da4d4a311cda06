using CaseWorkspace;
using ReadModelKit.Testing.Postgres;

// With READMODELKIT_CONNECTION unset, this starts a throwaway PostgreSQL and removes it at the end.
await using var server = await ThrowawayPostgres.StartAsync(Console.WriteLine);

// Part 1: the contract (design card, DI registration, freshness block).
await ContractDemo.RunAsync(server.ConnectionString);

// Part 2: a realistic case stream, delivered with duplicates and out of order, applied in batches,
// then the read model compared with the canonical tables (it throws, and the run fails, if they differ).
await ApplyDemo.RunAsync(server.ConnectionString);

// Part 3: commands written through the transactional outbox, projected by the runner, read-your-writes and freshness.
await OutboxDemo.RunAsync(server.ConnectionString);

// Part 4: rows corrupted behind the library's back, found by a drift check, repaired, and checked clean.
await DriftDemo.RunAsync(server.ConnectionString);

Console.WriteLine("CaseWorkspace sample finished.");
