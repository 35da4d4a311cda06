namespace ReadModelKit.Contracts;

/// <summary>The source a projection reads: its kind and the stream, topic or table name.</summary>
/// <param name="Kind">The kind of source.</param>
/// <param name="Name">The outbox stream, broker topic or canonical table(s) the projection reads.</param>
public sealed record ProjectionSource(SourceKind Kind, string Name);
