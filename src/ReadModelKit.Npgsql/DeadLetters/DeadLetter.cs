using ReadModelKit.Events;

namespace ReadModelKit.Npgsql.DeadLetters;

/// <summary>An event held in the dead-letter table: either dead (it kept failing) or parked (behind a dead event of its ordering key).</summary>
/// <param name="Id">The dead-letter row id.</param>
/// <param name="Envelope">The event as received, with the contract's masked and prohibited payload fields shown as digests.</param>
/// <param name="Status"><c>dead</c> or <c>parked</c>.</param>
/// <param name="Error">The last error (for dead events, with masked and prohibited values as digests) or why it was parked.</param>
/// <param name="Attempts">How many times it was tried.</param>
/// <param name="CreatedAt">When it was dead-lettered.</param>
public sealed record DeadLetter(long Id, EventEnvelope Envelope, string Status, string? Error, int Attempts, DateTimeOffset CreatedAt);
