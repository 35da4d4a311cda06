namespace ReadModelKit.Hosting.Health;

/// <summary>How ReadModelKit's health checks are registered.</summary>
public sealed class ReadModelKitHealthCheckOptions
{
    /// <summary>The check's name; with <see cref="PerProjection"/>, the prefix of each check (<c>{Name}:{projection}</c>). Default <c>readmodelkit</c>.</summary>
    public string Name { get; set; } = "readmodelkit";

    /// <summary>Whether each projection gets its own check (true) or one check covers them all (false, the default).</summary>
    public bool PerProjection { get; set; }

    /// <summary>The projections checked, by name. Empty (the default) for every registered projection.</summary>
    public List<string> Projections { get; set; } = [];

    /// <summary>Tags of the registered checks (for example <c>ready</c>, to filter endpoints). Default none.</summary>
    public List<string> Tags { get; set; } = [];
}
