namespace ReadModelKit.Npgsql.Freshness;

/// <summary>
/// The oldest running transaction that holds a transaction id: the outbox horizon cannot pass it, so events committed after it
/// started wait until it ends. A long one shows here, in the lag and in health, instead of causing a skip.
/// </summary>
/// <param name="ProcessId">The backend's process id (<c>pg_terminate_backend</c> ends it).</param>
/// <param name="Database">The database it runs in (any database of the cluster holds the horizon).</param>
/// <param name="ApplicationName">The client's application name.</param>
/// <param name="State">The backend state (for example <c>idle in transaction</c>).</param>
/// <param name="TransactionStartedAt">When its transaction started.</param>
/// <param name="Age">How long its transaction has been running (database clock).</param>
public sealed record WatermarkHolder(int ProcessId, string? Database, string? ApplicationName, string? State, DateTimeOffset? TransactionStartedAt, TimeSpan Age);
