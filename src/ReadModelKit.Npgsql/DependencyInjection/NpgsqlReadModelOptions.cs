using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Outbox;

namespace ReadModelKit.Npgsql;

/// <summary>Options of the PostgreSQL store. Plain and bindable; validated when <c>UseNpgsql</c> runs.</summary>
public sealed class NpgsqlReadModelOptions
{
    /// <summary>The schema holding ReadModelKit's own tables (inbox, checkpoints, dead letters). Default <c>readmodelkit</c>.</summary>
    public string Schema { get; set; } = "readmodelkit";

    /// <summary>Retry settings of the appliers.</summary>
    public ApplierOptions Apply { get; set; } = new();

    /// <summary>Settings of the transactional outbox.</summary>
    public OutboxOptions Outbox { get; set; } = new();

    /// <summary>Settings of rebuilds, cutovers and repairs in place.</summary>
    public Rebuild.RebuildOptions Rebuild { get; set; } = new();

    /// <summary>The table mapping of each projection, by projection name.</summary>
    public Dictionary<string, ReadModelTableMapping> Mappings { get; } = new(StringComparer.Ordinal);

    /// <summary>Maps a projection onto its read-model table.</summary>
    /// <param name="projectionName">The projection's contract name.</param>
    /// <param name="mapping">The table mapping.</param>
    public NpgsqlReadModelOptions Map(string projectionName, ReadModelTableMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(projectionName);
        ArgumentNullException.ThrowIfNull(mapping);
        Mappings[projectionName] = mapping;
        return this;
    }

    /// <summary>Returns every problem of these options; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        errors.AddRange(Apply?.Validate() ?? ["Apply is null: leave the default."]);
        errors.AddRange(Rebuild?.Validate() ?? ["Rebuild is null: leave the default."]);
        if (Outbox is null)
        {
            errors.Add("Outbox is null: leave the default.");
        }

        if (!Sql.SqlIdentifier.IsValid(Schema))
        {
            errors.Add($"Schema '{Schema}' is not a valid identifier: use 1-63 ASCII letters, digits or underscores, not starting with a digit.");
        }

        return errors;
    }
}
