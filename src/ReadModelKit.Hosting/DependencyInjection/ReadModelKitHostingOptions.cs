using ReadModelKit.Hosting.Maintenance;
using ReadModelKit.Npgsql.Runner;

namespace ReadModelKit.Hosting;

/// <summary>
/// What ReadModelKit does inside the application's host. Plain and bindable from configuration (a section such as
/// <c>ReadModelKit:Hosting</c>); validated when the host starts, every problem in one message.
/// </summary>
public sealed class ReadModelKitHostingOptions
{
    /// <summary>Whether the store initializes (migrates, checks mappings, creates checkpoints) when the host starts, before any hosted service starts. Default true.</summary>
    public bool InitializeOnStart { get; set; } = true;

    /// <summary>Whether this node runs projection runners. Default true; false for a node that only serves reads.</summary>
    public bool RunProjections { get; set; } = true;

    /// <summary>The outbox-fed projections this node runs, by name. Empty (the default) for every outbox-fed projection.</summary>
    public List<string> Projections { get; set; } = [];

    /// <summary>Settings of every runner (partitions, batch size, leases). Default: <see cref="ProjectionRunnerOptions"/>'s defaults.</summary>
    public ProjectionRunnerOptions Runner { get; set; } = new();

    /// <summary>Scheduled retention, outbox pruning and drift checks.</summary>
    public MaintenanceOptions Maintenance { get; set; } = new();

    /// <summary>Returns every problem of these options; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Projections is null)
        {
            errors.Add("Projections is null: leave it empty to run every outbox-fed projection.");
        }
        else if (Projections.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("Projections contains a blank name: list projection contract names, or leave it empty to run every outbox-fed projection.");
        }

        errors.AddRange(Runner is null ? ["Runner is null: leave the default."] : Runner.Validate().Select(e => "Runner: " + e));
        errors.AddRange(Maintenance is null ? ["Maintenance is null: leave the default."] : Maintenance.Validate().Select(e => "Maintenance: " + e));
        return errors;
    }
}
