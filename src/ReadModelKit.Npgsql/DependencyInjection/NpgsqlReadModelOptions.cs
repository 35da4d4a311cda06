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

    /// <summary>
    /// The key of the digests that stand in for masked values (drift incidents and reports, dead-letter listings, error texts), as
    /// base64 of at least 16 bytes. Default null: a random key per process, so digests are comparable only within one process
    /// lifetime. Set it (from a secret store) to compare digests across restarts and nodes.
    /// </summary>
    public string? PiiDigestKey { get; set; }

    /// <summary>
    /// The AES-GCM key (base64 of exactly 32 bytes) that seals masked and prohibited payload fields of dead letters, so they can be
    /// replayed. Default null: those fields are stored as digests, and replaying such a dead letter is refused (skip it and re-deliver
    /// the event from its source).
    /// </summary>
    public string? PiiSealingKey { get; set; }

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

        errors.AddRange(ValidateKeys());
        return errors;
    }

    /// <summary>Every problem of <see cref="PiiDigestKey"/> and <see cref="PiiSealingKey"/>; empty when both are valid or unset.</summary>
    internal IReadOnlyList<string> ValidateKeys()
    {
        var errors = new List<string>();
        CheckKey(PiiDigestKey, nameof(PiiDigestKey), bytes => bytes >= ReadModelKit.Privacy.PiiMasker.MinKeyBytes, $"at least {ReadModelKit.Privacy.PiiMasker.MinKeyBytes} bytes", errors);
        CheckKey(PiiSealingKey, nameof(PiiSealingKey), bytes => bytes == Privacy.PayloadSealer.KeyBytes, $"exactly {Privacy.PayloadSealer.KeyBytes} bytes", errors);
        return errors;
    }

    /// <summary>The decoded key, or null when not set (the options are validated).</summary>
    internal static byte[]? Decode(string? key) => string.IsNullOrEmpty(key) ? null : Convert.FromBase64String(key);

    private static void CheckKey(string? key, string name, Func<int, bool> sizeOk, string size, List<string> errors)
    {
        if (string.IsNullOrEmpty(key))
        {
            return;
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(key);
        }
        catch (FormatException)
        {
            errors.Add($"{name} is not base64: give {size} as base64, for example from Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).");
            return;
        }

        if (!sizeOk(bytes.Length))
        {
            errors.Add($"{name} has {bytes.Length} byte(s) but needs {size}: generate one with Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).");
        }
    }
}
