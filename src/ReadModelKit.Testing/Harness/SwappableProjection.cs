using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Projections;

namespace ReadModelKit.Testing.Harness;

/// <summary>
/// The projection a throwaway store holds: it forwards to a replaceable instance (a fresh one per application) and records
/// the changes each event produced the first time it was projected.
/// </summary>
internal sealed class SwappableProjection : IProjection
{
    private readonly Dictionary<Guid, IReadOnlyList<RowChange>> _changes = [];

    public SwappableProjection(IProjection first)
    {
        Inner = first;
        // An ordered (checkpoint-mode) source never redelivers out of order, but the helpers do: dedupe through the inbox instead.
        Contract = first.Contract.Idempotency == IdempotencyMode.Checkpoint
            ? first.Contract with { Idempotency = IdempotencyMode.Inbox }
            : first.Contract;
    }

    public ProjectionContract Contract { get; }

    public IProjection Inner { get; private set; }

    /// <summary>The changes each event produced the first time it was projected since the last <see cref="Replace"/>.</summary>
    public IReadOnlyDictionary<Guid, IReadOnlyList<RowChange>> Changes => _changes;

    public void Replace(IProjection next)
    {
        Inner = next;
        _changes.Clear();
    }

    public IEnumerable<RowChange> Project(EventEnvelope envelope)
    {
        var changes = Inner.Project(envelope).ToList();
        _changes.TryAdd(envelope.EventId, changes);
        return changes;
    }
}
