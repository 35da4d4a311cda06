using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Projections;

namespace ReadModelKit.Npgsql.Tests.Infrastructure;

/// <summary>Wraps a projection so a test can freeze a node in the middle of a batch: while the gate is closed, Project blocks.</summary>
public sealed class GatedProjection(IProjection inner) : IProjection
{
    private readonly ManualResetEventSlim _open = new(initialState: true);
    private int _waiting;

    public ProjectionContract Contract => inner.Contract;

    /// <summary>Whether a batch is blocked in the gate right now.</summary>
    public bool HasWaiter => Volatile.Read(ref _waiting) > 0;

    public void Close() => _open.Reset();

    public void Open() => _open.Set();

    public IEnumerable<RowChange> Project(EventEnvelope envelope)
    {
        if (!_open.IsSet)
        {
            Interlocked.Increment(ref _waiting);
            _open.Wait(TimeSpan.FromSeconds(60));
            Interlocked.Decrement(ref _waiting);
        }

        return inner.Project(envelope);
    }
}
