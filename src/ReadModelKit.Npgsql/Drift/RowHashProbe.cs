using Npgsql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// Decides which row hash two servers can share. Both sides hash a fixed probe row; a hash is usable only when both produce the same
/// value (same byte order and server encoding; the binary hash needs PostgreSQL 14, the canonical text needs 13).
/// </summary>
internal static class RowHashProbe
{
    private static readonly (DriftColumnType Type, string Expression)[] ProbeValues =
    [
        (DriftColumnType.Base("int8"), "42::int8"),
        (DriftColumnType.Base("text"), "'Grüße ~:'::text"),
        (DriftColumnType.Base("numeric"), "1.50::numeric"),
        (DriftColumnType.Base("timestamptz"), "timestamptz '2026-01-02 03:04:05.678+00'"),
        (DriftColumnType.Base("text"), "NULL::text"),
        (DriftColumnType.Base("float8"), "0.1::float8"),
        (DriftColumnType.Base("jsonb"), "'{\"a\": [1, 2.0]}'::jsonb"),
        (DriftColumnType.Base("uuid"), "'c0a8d3c2-6b0e-4bd4-9f3b-94c3f2a1d9e1'::uuid"),
        (DriftColumnType.Base("date"), "date '2026-01-02'"),
        (DriftColumnType.Base("bool"), "true"),
        (new DriftColumnType("_int4", 'b', 'A', "int4", 'b'), "'{1,2}'::int4[]"),
    ];

    /// <summary>Resolves <paramref name="requested"/> to the hash both servers agree on.</summary>
    /// <exception cref="DriftCheckException">No hash agrees, or the requested one is not available on both.</exception>
    public static async Task<DriftRowHash> ResolveAsync(NpgsqlConnection source, NpgsqlConnection readModel, DriftRowHash requested, string projectionName, CancellationToken cancellationToken)
    {
        var sourceProbe = ProbeAsync(source, cancellationToken);
        var readModelProbe = ProbeAsync(readModel, cancellationToken);
        var (s, r) = (await sourceProbe.ConfigureAwait(false), await readModelProbe.ConfigureAwait(false));
        if (s.Version < 130000 || r.Version < 130000)
        {
            throw new DriftCheckException($"Cross-database drift checks need PostgreSQL 13 or later on both servers (source {s.Version}, read model {r.Version}).", projectionName);
        }

        var binary = s.Binary is not null && s.Binary == r.Binary;
        var text = s.Text == r.Text;
        var resolved = requested switch
        {
            DriftRowHash.Binary when binary => DriftRowHash.Binary,
            DriftRowHash.CanonicalText when text => DriftRowHash.CanonicalText,
            DriftRowHash.Auto when binary => DriftRowHash.Binary,
            DriftRowHash.Auto when text => DriftRowHash.CanonicalText,
            _ => (DriftRowHash?)null,
        };
        return resolved ?? throw new DriftCheckException(
            $"The source and read-model servers do not hash the probe row alike with row hash {requested} (server encodings {s.Encoding} and {r.Encoding}, versions {s.Version} and {r.Version}; binary {(binary ? "agrees" : "differs or needs PostgreSQL 14")}, canonical text {(text ? "agrees" : "differs")}). " +
            "Use servers with the same server encoding and byte order, or choose DriftRowHash.Auto.",
            projectionName);
    }

    private static async Task<(int Version, string Encoding, long? Binary, long Text)> ProbeAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        int version;
        string encoding;
        long text;
        using (var command = new NpgsqlCommand($"SELECT current_setting('server_version_num')::int, current_setting('server_encoding'), hashtextextended({CanonicalRowEncoding.FrameSql(["'Grüße'", "NULL::text", "''"])}, {CanonicalRowEncoding.Seed})", connection))
        using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            version = reader.GetInt32(0);
            encoding = reader.GetString(1);
            text = reader.GetInt64(2);
        }

        if (version < 140000)
        {
            return (version, encoding, null, text);
        }

        using var probe = new NpgsqlCommand($"SELECT {CanonicalRowEncoding.RowHash(DriftRowHash.Binary, ProbeValues)}", connection);
        return (version, encoding, (long)(await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!, text);
    }
}
