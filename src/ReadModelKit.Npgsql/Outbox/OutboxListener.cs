using Microsoft.Extensions.Logging;
using Npgsql;
using ReadModelKit.Npgsql.Diagnostics;

namespace ReadModelKit.Npgsql.Outbox;

/// <summary>
/// Listens on the outbox channel and calls <c>onAppended</c> when a watched stream received events. Reconnects after
/// connection loss (and calls <c>onAppended</c> then too, since notifications may have been missed). Only an optimization:
/// runners still poll when idle, so a lost notification delays an event by at most one idle delay.
/// </summary>
internal sealed class OutboxListener
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _payload;
    private readonly Action _onAppended;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public OutboxListener(NpgsqlDataSource dataSource, string schema, string stream, Action onAppended, TimeProvider time, ILogger logger)
    {
        _dataSource = dataSource;
        _payload = OutboxChannel.Payload(schema, stream);
        _onAppended = onAppended;
        _time = time;
        _logger = logger;
    }

    /// <summary>Listens until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using var connectionScope = connection.ConfigureAwait(false);
                connection.Notification += OnNotification;
                using (var listen = new NpgsqlCommand($"LISTEN {OutboxChannel.Name}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                delay = TimeSpan.FromMilliseconds(100);
                _onAppended();
                while (!cancellationToken.IsCancellationRequested)
                {
                    // A bounded wait, so a silently dead connection is noticed by the next round trip.
                    if (!await connection.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false))
                    {
                        using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                NpgsqlLog.ListenerReconnecting(_logger, _payload, delay.TotalMilliseconds, ex);
                try
                {
                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (string.Equals(e.Payload, _payload, StringComparison.Ordinal))
        {
            _onAppended();
        }
    }
}
