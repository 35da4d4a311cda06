using System.Diagnostics.Metrics;

namespace ReadModelKit.Benchmarks.Drift;

/// <summary>Bytes Npgsql read from the server(s), from Npgsql's own <c>db.client.operation.npgsql.bytes_read</c> metric.</summary>
internal sealed class NpgsqlBytesRead : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, long> _cumulative = [];
    private long _incremental;

    public NpgsqlBytesRead()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Npgsql" && instrument.Name == "db.client.operation.npgsql.bytes_read")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>Total bytes read so far by every data source of this process.</summary>
    public long Total
    {
        get
        {
            _listener.RecordObservableInstruments();
            lock (_cumulative)
            {
                return _cumulative.Values.Sum() + _incremental;
            }
        }
    }

    private void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        lock (_cumulative)
        {
            if (instrument.IsObservable)
            {
                var key = string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}"));
                _cumulative[key] = value;
            }
            else
            {
                _incremental += value;
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}
