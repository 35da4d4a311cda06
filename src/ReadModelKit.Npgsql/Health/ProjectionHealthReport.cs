using ReadModelKit.Npgsql.Freshness;

namespace ReadModelKit.Npgsql.Health;

/// <summary>The health of one projection and every reason for it, with the status it was judged from.</summary>
/// <param name="ProjectionName">The projection.</param>
/// <param name="Health">The verdict.</param>
/// <param name="Problems">What is wrong and what to do, one line each; empty when healthy.</param>
/// <param name="Status">The checkpoints, pending events and leases the verdict was made from.</param>
public sealed record ProjectionHealthReport(string ProjectionName, ProjectionHealth Health, IReadOnlyList<string> Problems, ProjectionStatus Status);
