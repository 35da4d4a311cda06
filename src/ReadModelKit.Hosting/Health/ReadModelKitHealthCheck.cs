using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Health;

namespace ReadModelKit.Hosting.Health;

/// <summary>
/// A health check over one or more projections, judged from the database by <see cref="ProjectionHealthCheck"/>: lag against the
/// contract's limits, stalled partitions, pending events no runner holds, faulted partitions, a watermark frozen behind a long
/// transaction. The worst verdict wins; every problem is in the description and, per projection, in the data.
/// </summary>
public sealed class ReadModelKitHealthCheck : IHealthCheck
{
    private readonly NpgsqlReadModelStore _store;
    private readonly IReadOnlyList<string> _projections;

    /// <summary>Creates the check of <paramref name="projections"/>.</summary>
    /// <param name="store">The store.</param>
    /// <param name="projections">The projections judged together.</param>
    public ReadModelKitHealthCheck(NpgsqlReadModelStore store, IReadOnlyList<string> projections)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(projections);
        _store = store;
        _projections = projections;
    }

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var problems = new List<string>();
        var worst = ProjectionHealth.Healthy;
        try
        {
            foreach (var name in _projections)
            {
                var report = await _store.Health.EvaluateAsync(name, cancellationToken).ConfigureAwait(false);
                worst = (ProjectionHealth)Math.Max((int)worst, (int)report.Health);
                problems.AddRange(report.Problems.Select(p => $"{name}: {p}"));
                data[name] = report.Health.ToString();
                data[name + ".lag_seconds"] = Math.Round(report.Status.Lag.TotalSeconds, 1);
                data[name + ".pending_events"] = report.Status.PendingEvents;
                data[name + ".problems"] = report.Problems.ToArray();
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"ReadModelKit could not judge its projections: {ex.Message}", ex, data);
        }

        var status = worst switch
        {
            ProjectionHealth.Healthy => HealthStatus.Healthy,
            ProjectionHealth.Degraded => HealthStatus.Degraded,
            _ => context.Registration.FailureStatus,
        };
        var description = problems.Count == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{_projections.Count} projection(s) healthy: {string.Join(", ", _projections)}.")
            : string.Join(Environment.NewLine, problems);
        return new HealthCheckResult(status, description, null, data);
    }
}
