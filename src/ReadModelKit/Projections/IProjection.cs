using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;

namespace ReadModelKit.Projections;

/// <summary>
/// A projection: its contract and a pure function from one event to the row changes it causes.
/// Keeping the function pure (no I/O) lets the applier turn a whole batch into one set-based write.
/// </summary>
public interface IProjection
{
    /// <summary>The projection's design card.</summary>
    ProjectionContract Contract { get; }

    /// <summary>The row changes <paramref name="envelope"/> causes. Throw <see cref="Exceptions.UnknownEventTypeException"/> for a type the projection does not know and <see cref="Exceptions.MalformedPayloadException"/> for a payload it cannot read.</summary>
    /// <param name="envelope">The event.</param>
    IEnumerable<RowChange> Project(EventEnvelope envelope);
}
