using CaseWorkspace;
using Microsoft.Extensions.Hosting;
using ReadModelKit.Testing.Postgres;

// With READMODELKIT_CONNECTION unset, this starts a throwaway PostgreSQL and removes it at the end.
await using var server = await ThrowawayPostgres.StartAsync(args.Length == 0 ? Console.WriteLine : Console.Error.WriteLine);

if (args.Length > 0)
{
    // `dotnet run --project samples/CaseWorkspace -- status` (or pause, resume, restart, dlq, drift, prune, rebuild, --help): seed a fresh case workspace,
    // then run the operations command against it, as an operator would against the application's own host.
    using var host = CaseWorkspaceHost.Build(server.ConnectionString);
    await HostedDemo.SeedAsync(host, server.ConnectionString, Console.Error.WriteLine);
    return await host.RunReadModelKitCommandsAsync(args);
}

// Part 1: the contract (design card, DI registration, freshness block).
await ContractDemo.RunAsync(server.ConnectionString);

// Part 2: a realistic case stream, delivered with duplicates and out of order, applied in batches,
// then the read model compared with the canonical tables (it throws, and the run fails, if they differ).
await ApplyDemo.RunAsync(server.ConnectionString);

// Part 3: commands written through the transactional outbox, projected by the runner, read-your-writes and freshness.
await OutboxDemo.RunAsync(server.ConnectionString);

// Part 4: rows corrupted behind the library's back, found by a drift check, repaired, and checked clean.
await DriftDemo.RunAsync(server.ConnectionString);

// Part 5: the application as a generic host (store initialization, hosted runner, maintenance, health) and the operations commands.
await HostedDemo.RunAsync(server.ConnectionString);

// Part 6: a v1 -> v2 rebuild beside the serving table while commands flow: gate report, cutover under a reader loop, rollback,
// final cutover and retire.
await RebuildDemo.RunAsync(server.ConnectionString);

Console.WriteLine("CaseWorkspace sample finished.");
return 0;
