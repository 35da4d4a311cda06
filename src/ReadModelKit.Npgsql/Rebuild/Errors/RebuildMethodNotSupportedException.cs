using ReadModelKit.Contracts;
using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>The projection's contract names a rebuild method this release cannot run for it. Nothing was created.</summary>
public sealed class RebuildMethodNotSupportedException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="method">The contract's rebuild method.</param>
    public RebuildMethodNotSupportedException(string projectionName, RebuildMethod method)
        : this(projectionName, method, method == RebuildMethod.NotRebuildable
            ? $"Projection '{projectionName}' is declared NotRebuildable in its contract, so it cannot be rebuilt. Repair keys in place with RepairAsync, or change the contract's Rebuild to BackfillFromCanonicalTables and give the mapping a RecomputeSql."
            : $"Projection '{projectionName}' declares rebuild method {method}, which this release does not run yet: BackfillFromCanonicalTables and ReplayEvents are supported. Declare a RecomputeSql returning the source version (RecomputeReturnsVersion) and set the contract's Rebuild to BackfillFromCanonicalTables, or replay an outbox-fed projection with ReplayEvents.")
    {
    }

    /// <summary>Creates the exception with its own message.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="method">The contract's rebuild method.</param>
    /// <param name="message">Why the method cannot run for this projection and what to do.</param>
    public RebuildMethodNotSupportedException(string projectionName, RebuildMethod method, string message)
        : base(message, projectionName)
    {
        Method = method;
    }

    /// <summary>The contract's rebuild method.</summary>
    public RebuildMethod Method { get; }
}
