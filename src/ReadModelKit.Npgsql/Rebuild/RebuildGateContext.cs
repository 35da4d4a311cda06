namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>What a gate callback gets to decide on: the run, the new version's table and the figures the gate measured.</summary>
/// <param name="Run">The run being validated.</param>
/// <param name="NewTable">The new version's schema-qualified, quoted table name.</param>
/// <param name="OldRows">Live (not tombstoned) rows of the serving version.</param>
/// <param name="NewRows">Live rows of the new version.</param>
public sealed record RebuildGateContext(RebuildRun Run, string NewTable, long OldRows, long NewRows);
