namespace ReadModelKit.Contracts;

/// <summary>What consumers do when the projection is older than its maximum lag.</summary>
public enum StaleBehavior
{
    /// <summary>Serve the data with a freshness banner (the freshness block says <c>stale: true</c>).</summary>
    ShowFreshnessBanner,

    /// <summary>Serve stale data silently up to a fallback limit; only metrics show it.</summary>
    ServeStale,

    /// <summary>Refuse to serve and route the caller to the authoritative source.</summary>
    FallBackToSource,

    /// <summary>Refuse to serve (the API answers with an error).</summary>
    Reject,
}
