namespace ReadModelKit.Diagnostics;

/// <summary>
/// The stable event ids of every ReadModelKit log message, for alerts and log queries. Ranges: 1000-1999 core, 2000-2099 store and
/// apply, 2100-2199 runner, 2200-2299 rebuild, 2500-2599 drift, 3000-3099 hosting. An id is never reused for another message.
/// </summary>
public static class ReadModelKitEventIds
{
    /// <summary>A projection moved between lifecycle states (Information).</summary>
    public const int StateChanged = 1000;

    /// <summary>The library's schema was migrated (Information).</summary>
    public const int SchemaMigrated = 2000;

    /// <summary>A batch was applied (Debug).</summary>
    public const int BatchApplied = 2001;

    /// <summary>A transient database error; the batch is retried (Warning).</summary>
    public const int TransientRetry = 2002;

    /// <summary>An event was dead-lettered after its attempts ran out (Error).</summary>
    public const int DeadLettered = 2003;

    /// <summary>Events were parked behind a dead-lettered event of their ordering key (Warning).</summary>
    public const int Parked = 2004;

    /// <summary>Dead letters of an ordering key were replayed or skipped (Information).</summary>
    public const int DeadLettersResolved = 2005;

    /// <summary>Rows were pruned from the inbox, a read model's tombstones or the outbox (Information).</summary>
    public const int Pruned = 2006;

    /// <summary>Masked and prohibited fields of open dead letters were replaced by digests on request (Information).</summary>
    public const int DeadLetterPayloadsPurged = 2040;

    /// <summary>A projection that is not outbox-fed hides payload fields but no PII sealing key is configured; its dead letters keep digests only (Warning).</summary>
    public const int NoPiiSealingKey = 2041;

    /// <summary>A skip released parked events whose payload could not be restored; the message lists the event ids to re-deliver (Warning).</summary>
    public const int DeadLettersReleased = 2042;

    /// <summary>A runner node started (Information).</summary>
    public const int RunnerStarted = 2100;

    /// <summary>A runner node stopped and released its partitions (Information).</summary>
    public const int RunnerStopped = 2101;

    /// <summary>A node claimed partitions (Information).</summary>
    public const int PartitionsClaimed = 2102;

    /// <summary>A node released partitions to rebalance (Information).</summary>
    public const int PartitionsReleased = 2103;

    /// <summary>A node lost a partition's lease (Warning).</summary>
    public const int LeaseLost = 2104;

    /// <summary>A partition failed and is retried (Warning).</summary>
    public const int RunnerError = 2105;

    /// <summary>A partition halted and is Faulted (Error).</summary>
    public const int PartitionFaulted = 2106;

    /// <summary>A partition changed lifecycle state (Information).</summary>
    public const int PartitionStateChanged = 2107;

    /// <summary>The outbox listener lost its connection and reconnects (Warning).</summary>
    public const int ListenerReconnecting = 2108;

    /// <summary>A lease heartbeat failed (Warning).</summary>
    public const int HeartbeatFailed = 2109;

    /// <summary>A partition's checkpoint moved underneath its runner (Warning).</summary>
    public const int CheckpointMoved = 2110;

    /// <summary>A BatchApplied handler threw (Warning).</summary>
    public const int BatchAppliedHandlerFailed = 2111;

    /// <summary>A runner node cannot reach the database at start-up and retries (Warning).</summary>
    public const int RunnerStartRetry = 2112;

    /// <summary>A node handed a partition over to rebalance; not a lease loss (Information).</summary>
    public const int PartitionHandedOver = 2113;

    /// <summary>A node paused a partition as an operator asked (Warning).</summary>
    public const int PartitionPaused = 2114;

    /// <summary>A node resumed a partition as an operator asked (Information).</summary>
    public const int PartitionResumed = 2115;

    /// <summary>A node restarted a faulted partition as an operator asked (Information).</summary>
    public const int PartitionRestarted = 2116;

    /// <summary>The operators' control instructions cannot be read; no partition applies until they can (Warning).</summary>
    public const int ControlUnreadable = 2117;

    /// <summary>A plain read-model table was adopted as version 1 behind its stable view (Information).</summary>
    public const int RebuildAdopted = 2200;

    /// <summary>A rebuild run was planned; the new version receives live writes from now on (Information).</summary>
    public const int RebuildPlanned = 2201;

    /// <summary>A rebuild run moved to another state (Information).</summary>
    public const int RebuildStateChanged = 2202;

    /// <summary>The gate before a cutover failed; the report says why (Warning).</summary>
    public const int RebuildGateFailed = 2203;

    /// <summary>A rebuild run stopped on an error; it is resumable unless it failed (Error).</summary>
    public const int RebuildRunError = 2204;

    /// <summary>A view switch timed out waiting for its lock and is retried (Warning).</summary>
    public const int RebuildSwitchRetry = 2205;

    /// <summary>A repair in place finished (Information).</summary>
    public const int RebuildRepaired = 2206;

    /// <summary>A bulk backfill chunk met a key a live event inserted meanwhile; it was rolled back and redone under the version guard (Information).</summary>
    public const int RebuildChunkRedone = 2210;

    /// <summary>A drift check found nothing (Information).</summary>
    public const int DriftCheckClean = 2500;

    /// <summary>A drift check found drifted rows (Warning).</summary>
    public const int DriftFound = 2501;

    /// <summary>Drift candidates stayed unconfirmed while the projection was behind (Warning).</summary>
    public const int DriftUnconfirmed = 2502;

    /// <summary>Drifted keys were repaired (Information).</summary>
    public const int DriftRepaired = 2503;

    /// <summary>A drift repair was refused because too much drifted (Warning).</summary>
    public const int DriftRepairRefused = 2504;

    /// <summary>Drift candidates are re-checked after catch-up (Debug).</summary>
    public const int DriftCandidates = 2505;

    /// <summary>The store initialized at host start-up (Information).</summary>
    public const int StoreInitialized = 3000;

    /// <summary>Store initialization failed and the host does not start (Critical).</summary>
    public const int StoreInitializationFailed = 3001;

    /// <summary>The hosted runners of this node start (Information).</summary>
    public const int HostedRunnersStarting = 3002;

    /// <summary>A hosted runner ended with an error and the host stops (Critical).</summary>
    public const int HostedRunnerFailed = 3003;

    /// <summary>A scheduled maintenance pass finished (Information).</summary>
    public const int MaintenancePassed = 3004;

    /// <summary>A scheduled maintenance pass failed; the next one runs on schedule (Error).</summary>
    public const int MaintenanceFailed = 3005;

    /// <summary>A scheduled drift check finished (Information when clean, Warning when drift was found).</summary>
    public const int ScheduledDriftChecked = 3006;
}
