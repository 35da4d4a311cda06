using ReadModelKit.Events;

namespace ReadModelKit.Npgsql.Apply;

/// <summary>An event that kept failing while it was projected.</summary>
/// <param name="Envelope">The event.</param>
/// <param name="Attempts">How many times it was tried.</param>
/// <param name="Error">The last error.</param>
internal sealed record PoisonEvent(EventEnvelope Envelope, int Attempts, Exception Error);
