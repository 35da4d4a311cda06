using System.Globalization;
using ReadModelKit.Contracts;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.Freshness;

namespace ReadModelKit.Npgsql.Health;

/// <summary>
/// Judges a projection from the database, not from "the loop is alive": pending events whose checkpoint does not move, lag beyond
/// the contract's maximum, a watermark frozen behind a long transaction, partitions no runner holds, faulted partitions.
/// Wrap it in the host's health-check framework (see docs/runner.md). Thread-safe.
/// </summary>
public sealed class ProjectionHealthCheck
{
    private readonly ProjectionStatusReader _reader;
    private readonly Func<string, ProjectionApplier> _appliers;

    internal ProjectionHealthCheck(ProjectionStatusReader reader, Func<string, ProjectionApplier> appliers)
    {
        _reader = reader;
        _appliers = appliers;
    }

    /// <summary>Reads the status of <paramref name="projectionName"/> and judges it against its contract's freshness.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<ProjectionHealthReport> EvaluateAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        var contract = _appliers(projectionName).Contract;
        var status = await _reader.ReadAsync(contract, cancellationToken).ConfigureAwait(false);
        return Evaluate(contract.Freshness, status);
    }

    /// <summary>Judges <paramref name="status"/> against <paramref name="freshness"/> (pure; the clock is <see cref="ProjectionStatus.ReadAt"/>).</summary>
    /// <param name="freshness">The contract's expected and maximum lag.</param>
    /// <param name="status">The projection's status.</param>
    public static ProjectionHealthReport Evaluate(FreshnessContract freshness, ProjectionStatus status)
    {
        ArgumentNullException.ThrowIfNull(freshness);
        ArgumentNullException.ThrowIfNull(status);
        var unhealthy = new List<string>();
        var degraded = new List<string>();
        var max = freshness.MaxLag;
        foreach (var p in status.Partitions)
        {
            if (p.State == ProjectionState.Faulted)
            {
                unhealthy.Add(Say($"partition {p.Partition} is Faulted: {p.LastError ?? "no error recorded"}. Fix the cause (or dead-letter the event), then store.Control.RestartAsync(\"{status.ProjectionName}\", {p.Partition}): it resumes from checkpoint {p.Position}."));
            }
            else if (p.State == ProjectionState.Paused)
            {
                // Intentional: pending events and a still checkpoint are expected until it is resumed.
                degraded.Add(Say($"partition {p.Partition} is Paused by an operator ({p.PendingEvents} event(s) pending); resume it with store.Control.ResumeAsync(\"{status.ProjectionName}\", {p.Partition})."));
                continue;
            }

            if (p.PendingEvents == 0)
            {
                continue;
            }

            var still = status.ReadAt - p.UpdatedAt;
            if (still > max)
            {
                unhealthy.Add(Say($"partition {p.Partition} is stalled: {p.PendingEvents} event(s) pending but its checkpoint has not moved for {still.TotalSeconds:0} s (max lag {max.TotalSeconds:0} s); last error: {p.LastError ?? "none"}."));
            }

            if (!p.LeaseLive)
            {
                unhealthy.Add(Say($"partition {p.Partition} has {p.PendingEvents} pending event(s) but no runner holds it ({(p.Owner is null ? "no owner" : $"lease of '{p.Owner}' expired at {p.LeaseExpiresAt:O}")}): start a ProjectionRunner for the projection, or find why its heartbeats stopped."));
            }
        }

        var lag = status.Lag;
        // Lag that only paused partitions hold is what the operator asked for: reported, but not a reason to restart anything.
        var pausedLag = status.Partitions.Where(p => p.PendingEvents > 0).All(p => p.State == ProjectionState.Paused);
        if (lag > max)
        {
            (pausedLag ? degraded : unhealthy).Add(Say($"lag {lag.TotalSeconds:0.#} s exceeds the contract's max lag {max.TotalSeconds:0} s ({status.PendingEvents}{(status.PendingCapped ? "+" : string.Empty)} event(s) pending)."));
        }
        else if (lag > freshness.ExpectedLag)
        {
            degraded.Add(Say($"lag {lag.TotalSeconds:0.#} s is above the expected {freshness.ExpectedLag.TotalSeconds:0} s (max {max.TotalSeconds:0} s)."));
        }

        if (status.HeldBackEvents > 0 && status.OldestWriter is { } holder && holder.Age > freshness.ExpectedLag)
        {
            var line = Say($"watermark frozen: {status.HeldBackEvents} committed event(s) wait behind a transaction running for {holder.Age.TotalSeconds:0} s (pid {holder.ProcessId}, database {holder.Database}, application '{holder.ApplicationName}', state {holder.State}). Nothing is skipped; they are applied when it ends. End it (commit, roll back, or pg_terminate_backend({holder.ProcessId})) or find why it stays open.");
            (holder.Age > max ? unhealthy : degraded).Add(line);
        }

        var verdict = unhealthy.Count > 0 ? ProjectionHealth.Unhealthy : degraded.Count > 0 ? ProjectionHealth.Degraded : ProjectionHealth.Healthy;
        return new ProjectionHealthReport(status.ProjectionName, verdict, [.. unhealthy, .. degraded], status);
    }

    private static string Say(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
