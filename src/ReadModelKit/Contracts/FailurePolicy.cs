namespace ReadModelKit.Contracts;

/// <summary>What the applier does with an event that still fails after its retries.</summary>
public enum FailurePolicy
{
    /// <summary>Dead-letter the event, park later events of the same ordering key, and continue with other keys.</summary>
    DeadLetterAndContinue,

    /// <summary>Stop the projection (state <c>Faulted</c>) until an operator intervenes.</summary>
    Halt,
}
