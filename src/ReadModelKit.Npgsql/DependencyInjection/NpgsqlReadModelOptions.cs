namespace ReadModelKit.Npgsql;

/// <summary>Options of the PostgreSQL store. Plain and bindable; validated when <c>UseNpgsql</c> runs.</summary>
public sealed class NpgsqlReadModelOptions
{
    /// <summary>The schema holding ReadModelKit's own tables (inbox, checkpoints, dead letters). Default <c>readmodelkit</c>.</summary>
    public string Schema { get; set; } = "readmodelkit";

    /// <summary>Returns every problem of these options; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Sql.SqlIdentifier.IsValid(Schema))
        {
            errors.Add($"Schema '{Schema}' is not a valid identifier: use 1-63 ASCII letters, digits or underscores, not starting with a digit.");
        }

        return errors;
    }
}
