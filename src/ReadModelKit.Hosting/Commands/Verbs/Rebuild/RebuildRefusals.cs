using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Rebuild;

namespace ReadModelKit.Hosting.Commands.Verbs.Rebuild;

/// <summary>
/// Maps the rebuild orchestrator's refusals to exit codes: a failed gate to <see cref="ReadModelKitExitCodes.GateFailed"/>, a request
/// that does not fit the run's state to <see cref="ReadModelKitExitCodes.Refused"/>. The library's message is printed as it is, followed
/// by the command to type instead. Other errors (a recompute query that cannot backfill, an incompatible view shape, a switch that timed
/// out) keep <see cref="ReadModelKitExitCodes.Failed"/>.
/// </summary>
internal static class RebuildRefusals
{
    /// <summary>The exit code and lines to print for <paramref name="error"/>, or null when it is not a refusal.</summary>
    public static async Task<(int Code, string[] Lines)?> ExplainAsync(NpgsqlReadModelStore store, string projection, Exception error, CancellationToken cancellationToken)
    {
        switch (error)
        {
            case RebuildAlreadyRunningException running:
                return (ReadModelKitExitCodes.Refused, [running.Message, $"On the command line: rebuild status {projection} shows it, rebuild run {projection} resumes it, rebuild cancel {projection} cancels it."]);
            case RebuildStateException state:
                var run = await store.Rebuilds.GetRunAsync(projection, cancellationToken).ConfigureAwait(false);
                var gateFailed = state.Operation == "cutover" && state.State == RebuildRunState.Validating && run?.GatePassed == false;
                return (gateFailed ? ReadModelKitExitCodes.GateFailed : ReadModelKitExitCodes.Refused, [state.Message, Hint(projection, state, gateFailed)]);
            default:
                return null;
        }
    }

    private static string Hint(string p, RebuildStateException error, bool gateFailed) => (error.Operation, error.State) switch
    {
        ("cutover", _) when gateFailed => $"On the command line: fix the cause, then rebuild run {p} validates again; or rebuild cancel {p}.",
        ("cutover", RebuildRunState.CutOver) => $"On the command line: rebuild retire {p} keeps the new version, rebuild rollback {p} goes back.",
        ("cutover", null or RebuildRunState.Retired or RebuildRunState.Failed or RebuildRunState.Cancelled or RebuildRunState.RolledBack) => $"On the command line: rebuild start {p} starts a rebuild.",
        ("cutover", _) => $"On the command line: rebuild run {p} backfills and validates until the run is Ready, then rebuild cutover {p}.",
        ("retire", RebuildRunState.CutOver) => $"On the command line: add --force to retire now (rebuild retire {p} --force).",
        ("retire", RebuildRunState.Retired) => $"On the command line: rebuild status {p} shows the versions.",
        ("retire", _) => $"On the command line: rebuild cutover {p} first, once rebuild status {p} shows the run Ready.",
        ("rollback", RebuildRunState.Retired or null) => $"On the command line: rebuild start {p} builds a new version to cut over to.",
        ("rollback", { } s) when s is not (RebuildRunState.Failed or RebuildRunState.Cancelled or RebuildRunState.RolledBack) => $"On the command line: rebuild cancel {p} stops the rebuild.",
        ("cancel", RebuildRunState.CutOver) => $"On the command line: rebuild rollback {p} goes back, rebuild retire {p} keeps the new version.",
        ("run", { } s) when s is not (RebuildRunState.Retired or RebuildRunState.Failed or RebuildRunState.Cancelled or RebuildRunState.RolledBack) => $"On the command line: rebuild status {p} shows the run and its owner.",
        ("run" or "cancel", _) => $"On the command line: rebuild start {p} starts a rebuild.",
        _ => $"On the command line: rebuild status {p} shows the versions and the last run.",
    };
}
