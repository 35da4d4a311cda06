using Npgsql;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Checkpoints;

/// <summary>Creates checkpoint rows so every apply can compare-and-set an existing row.</summary>
internal static class CheckpointRows
{
    public static async Task EnsureAsync(NpgsqlDataSource dataSource, SqlIdentifier schema, string projectionName, int partition, CancellationToken cancellationToken)
    {
        using var command = dataSource.CreateCommand($"INSERT INTO {schema.Quoted}.checkpoint (projection_name, partition_id) VALUES ($1, $2) ON CONFLICT DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projectionName });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
