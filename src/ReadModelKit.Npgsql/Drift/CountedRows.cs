using Npgsql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// A reader that counts the approximate wire size of every row it reads (<see cref="WireSize.OfRow"/>) and adds the total to the check's
/// <see cref="ReceivedBytes"/> when disposed, so the detectors read rows without any byte bookkeeping of their own.
/// </summary>
internal sealed class CountedRows(NpgsqlDataReader reader, ReceivedBytes received) : IAsyncDisposable
{
    private long _bytes;

    /// <summary>The current row.</summary>
    public NpgsqlDataReader Row => reader;

    /// <summary>Executes <paramref name="command"/> and counts what it returns on <paramref name="received"/>.</summary>
    public static async Task<CountedRows> OpenAsync(NpgsqlCommand command, ReceivedBytes received, CancellationToken cancellationToken) =>
        new(await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false), received);

    /// <summary>Advances to the next row and counts it.</summary>
    public async Task<bool> ReadAsync(CancellationToken cancellationToken)
    {
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        _bytes += WireSize.OfRow(reader);
        return true;
    }

    /// <summary>Adds the counted bytes to the check's total and closes the reader.</summary>
    public async ValueTask DisposeAsync()
    {
        received.Add(Interlocked.Exchange(ref _bytes, 0));
        await reader.DisposeAsync().ConfigureAwait(false);
    }
}
