using ReadModelKit.Changes;
using ReadModelKit.Events;
using ReadModelKit.Exceptions;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Projections;

namespace ReadModelKit.Npgsql.Apply;

/// <summary>
/// The client-side half of a batch: every event projected (with bounded retries) into typed column arrays,
/// poison events set aside. Nothing here touches the database.
/// </summary>
internal sealed class BatchPlan
{
    private readonly ColumnBuffer[] _keys;
    private readonly ColumnBuffer[] _values;
    private readonly ColumnBuffer[] _recomputeKeys;
    private readonly List<Guid> _changeEventIds = [];
    private readonly List<long> _changeVersions = [];
    private readonly List<short> _changeKinds = [];

    private readonly ReadModelTable _table;
    private readonly Privacy.ProjectionPrivacy _privacy;

    private BatchPlan(ReadModelTable table, Privacy.ProjectionPrivacy privacy)
    {
        _table = table;
        _privacy = privacy;
        _keys = table.Keys.Select(ColumnBuffer.For).ToArray();
        _values = table.Values.Select(ColumnBuffer.For).ToArray();
        _recomputeKeys = table.Keys.Select(ColumnBuffer.For).ToArray();
    }

    /// <summary>Events to hand to the database (not poison), deduplicated by event id.</summary>
    public List<EventEnvelope> Events { get; } = [];

    /// <summary>Events that kept failing.</summary>
    public List<PoisonEvent> Poison { get; } = [];

    /// <summary>How many recompute requests the batch holds.</summary>
    public int RecomputeCount { get; private set; }

    public static BatchPlan Create(IProjection projection, ReadModelTable table, IReadOnlyList<EventEnvelope> batch, int maxAttempts, Privacy.ProjectionPrivacy privacy)
    {
        var plan = new BatchPlan(table, privacy);
        var seen = new HashSet<Guid>();
        foreach (var envelope in batch)
        {
            if (!seen.Add(envelope.EventId))
            {
                continue;
            }

            var (changes, attempts, error) = plan.ProjectWithRetries(projection, envelope, maxAttempts);
            if (error is not null)
            {
                plan.Poison.Add(new PoisonEvent(envelope, attempts, error));
                continue;
            }

            plan.Events.Add(envelope);
            foreach (var change in changes!)
            {
                plan.Add(envelope.EventId, change);
            }
        }

        return plan;
    }

    /// <summary>The main statement's change arrays: event ids, versions, kinds, then one array per key and value column.</summary>
    public IEnumerable<global::Npgsql.NpgsqlParameter> ChangeParameters()
    {
        yield return new global::Npgsql.NpgsqlParameter<Guid[]> { TypedValue = [.. _changeEventIds] };
        yield return new global::Npgsql.NpgsqlParameter<long[]> { TypedValue = [.. _changeVersions] };
        yield return new global::Npgsql.NpgsqlParameter<short[]> { TypedValue = [.. _changeKinds] };
        foreach (var buffer in _keys.Concat(_values))
        {
            yield return buffer.ToParameter();
        }
    }

    /// <summary>One array per key column holding the keys to recompute.</summary>
    public IEnumerable<global::Npgsql.NpgsqlParameter> RecomputeParameters() => _recomputeKeys.Select(b => b.ToParameter());

    private void Add(Guid eventId, RowChange change)
    {
        if (change.Kind == RowChangeKind.Recompute)
        {
            for (var i = 0; i < _recomputeKeys.Length; i++)
            {
                _recomputeKeys[i].Add(change.Key[i]);
            }

            RecomputeCount++;
            return;
        }

        _changeEventIds.Add(eventId);
        _changeVersions.Add(change.Version);
        _changeKinds.Add(change.Kind == RowChangeKind.Tombstone ? (short)1 : (short)0);
        for (var i = 0; i < _keys.Length; i++)
        {
            _keys[i].Add(change.Key[i]);
        }

        for (var i = 0; i < _values.Length; i++)
        {
            _values[i].Add(change.Kind == RowChangeKind.Upsert ? change.Values[_table.Values[i].Name] : null);
        }
    }

    private (List<RowChange>? Changes, int Attempts, Exception? Error) ProjectWithRetries(
        IProjection projection, EventEnvelope envelope, int maxAttempts)
    {
        Exception? last = null;
        for (var attempt = 1; attempt <= maxAttempts; attempt++)
        {
            try
            {
                var changes = projection.Project(envelope).ToList();
                foreach (var change in changes)
                {
                    Validate(envelope, change);
                }

                return (changes, attempt, null);
            }
            catch (ReadModelKitException deterministic)
            {
                // Unknown types, malformed payloads and invalid changes fail the same way every time: no point retrying.
                return (null, attempt, deterministic);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                last = ex;
            }
        }

        return (null, maxAttempts, last);
    }

    private void Validate(EventEnvelope envelope, RowChange change)
    {
        var table = _table;
        var name = table.ProjectionName;
        if (change.Key.Count != table.Keys.Count)
        {
            throw new InvalidRowChangeException(name, envelope.EventId, $"the key {change.Key} has {change.Key.Count} value(s) but the table has {table.Keys.Count} key column(s) ({string.Join(", ", table.Keys.Select(k => k.Name))}).");
        }

        for (var i = 0; i < table.Keys.Count; i++)
        {
            CheckValue(envelope, _keys[i], table.Keys[i], change.Key[i]);
        }

        switch (change.Kind)
        {
            case RowChangeKind.Upsert:
                for (var i = 0; i < table.Values.Count; i++)
                {
                    var column = table.Values[i];
                    if (!change.Values.TryGetValue(column.Name, out var value))
                    {
                        throw new InvalidRowChangeException(name, envelope.EventId, $"the upsert of {change.Key} has no value for column '{column.Name}'; every mapped value column must be given (use null for NULL).");
                    }

                    CheckValue(envelope, _values[i], column, value);
                }

                if (change.Values.Count != table.Values.Count)
                {
                    var unknown = change.Values.Keys.Where(k => table.Values.All(v => v.Name != k));
                    throw new InvalidRowChangeException(name, envelope.EventId, $"the upsert of {change.Key} writes unmapped column(s) {string.Join(", ", unknown)}; add them to ValueColumns or stop emitting them.");
                }

                break;
            case RowChangeKind.Tombstone when table.Tombstone is null:
                throw new InvalidRowChangeException(name, envelope.EventId, $"a tombstone for {change.Key} was emitted but the mapping has no TombstoneColumn; map one (for example deleted_at timestamptz) so deletes cannot be resurrected by late events.");
            case RowChangeKind.Recompute when table.Mapping.RecomputeSql is null:
                throw new InvalidRowChangeException(name, envelope.EventId, $"a recompute of {change.Key} was requested but the mapping has no RecomputeSql; declare the query that computes the expected rows from the source.");
        }
    }

    private void CheckValue(EventEnvelope envelope, ColumnBuffer buffer, PgColumn column, object? value)
    {
        try
        {
            buffer.Check(value);
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException)
        {
            throw new InvalidRowChangeException(_table.ProjectionName, envelope.EventId, $"the value {_privacy.Describe(column.Name, value)} ({value?.GetType().Name}) does not fit column '{column.Name}' of type {column.FormattedType}.", ex);
        }
    }
}
