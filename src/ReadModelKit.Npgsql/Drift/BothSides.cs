using System.Runtime.ExceptionServices;
using Npgsql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// Runs the two sides of a comparison at once, on their own connections, and never returns while one of them still runs: when one
/// side fails the other is cancelled and awaited before the failure is rethrown, so no statement is left running on a connection
/// that is about to be rolled back and returned to the pool.
/// </summary>
internal static class BothSides
{
    /// <summary>Runs <paramref name="expected"/> and <paramref name="actual"/> concurrently and returns both results.</summary>
    public static async Task<(TExpected Expected, TActual Actual)> RunAsync<TExpected, TActual>(
        Func<CancellationToken, Task<TExpected>> expected,
        Func<CancellationToken, Task<TActual>> actual,
        CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var e = Start(expected, linked.Token);
        var a = Start(actual, linked.Token);
        var first = await Task.WhenAny(e, a).ConfigureAwait(false);
        if (!first.IsCompletedSuccessfully)
        {
            await linked.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await Task.WhenAll(e, a).ConfigureAwait(false);
        }
        catch (Exception)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Cause(e, a).Throw();
            throw;
        }

        return (e.Result, a.Result);
    }

    /// <summary>
    /// Opens a reader for each side at once; when one fails, the other statement is cancelled and its reader (if it opened) closed
    /// before the failure is rethrown.
    /// </summary>
    public static async Task<(NpgsqlDataReader Expected, NpgsqlDataReader Actual)> OpenReadersAsync(NpgsqlCommand expected, NpgsqlCommand actual, CancellationToken cancellationToken)
    {
        var e = expected.ExecuteReaderAsync(cancellationToken);
        var a = actual.ExecuteReaderAsync(cancellationToken);
        var first = await Task.WhenAny(e, a).ConfigureAwait(false);
        if (!first.IsCompletedSuccessfully)
        {
            Cancel(first == e ? actual : expected);
        }

        try
        {
            await Task.WhenAll(e, a).ConfigureAwait(false);
        }
        catch (Exception)
        {
            await AbortAsync(expected, e.IsCompletedSuccessfully ? e.Result : null).ConfigureAwait(false);
            await AbortAsync(actual, a.IsCompletedSuccessfully ? a.Result : null).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            Cause(e, a).Throw();
            throw;
        }

        return (e.Result, a.Result);
    }

    /// <summary>
    /// Opens both statements' readers at once (<see cref="OpenReadersAsync"/>) and hands them, counted on <paramref name="received"/>, to
    /// <paramref name="merge"/>, which reads both streams side by side. When the merge fails, both statements are stopped before the
    /// failure is rethrown.
    /// </summary>
    public static async Task<T> MergeAsync<T>(NpgsqlCommand expected, NpgsqlCommand actual, ReceivedBytes received, Func<CountedRows, CountedRows, Task<T>> merge, CancellationToken cancellationToken)
    {
        var (expectedReader, actualReader) = await OpenReadersAsync(expected, actual, cancellationToken).ConfigureAwait(false);
        var e = new CountedRows(expectedReader, received);
        var a = new CountedRows(actualReader, received);
        try
        {
            return await merge(e, a).ConfigureAwait(false);
        }
        catch
        {
            await AbortAsync(expected, expectedReader).ConfigureAwait(false);
            await AbortAsync(actual, actualReader).ConfigureAwait(false);
            throw;
        }
        finally
        {
            try
            {
                await e.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                await a.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Stops a statement whose results are no longer wanted (the other side failed) and closes its reader, ignoring errors.</summary>
    public static async Task AbortAsync(NpgsqlCommand command, NpgsqlDataReader? reader)
    {
        if (reader is null)
        {
            return;
        }

        Cancel(command);
        try
        {
            await reader.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is NpgsqlException or OperationCanceledException or InvalidOperationException)
        {
            // The statement was cancelled on purpose; the failure that matters is the other side's.
        }
    }

    private static void Cancel(NpgsqlCommand command)
    {
        try
        {
            command.Cancel();
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException)
        {
            // Nothing to cancel any more.
        }
    }

    /// <summary>
    /// The failure to report (after the caller's own cancellation): the first failure that is not the cancellation this class caused
    /// (the expected side first), else the first failure.
    /// </summary>
    private static ExceptionDispatchInfo Cause(Task first, Task second)
    {
        var failures = new[] { first, second }.Where(t => t.IsFaulted || t.IsCanceled)
            .Select(t => t.Exception?.InnerException ?? new OperationCanceledException())
            .ToList();
        return ExceptionDispatchInfo.Capture(failures.FirstOrDefault(f => f is not OperationCanceledException) ?? failures[0]);
    }

    private static Task<T> Start<T>(Func<CancellationToken, Task<T>> side, CancellationToken cancellationToken)
    {
        try
        {
            return side(cancellationToken);
        }
        catch (Exception exception)
        {
            return Task.FromException<T>(exception);
        }
    }
}
