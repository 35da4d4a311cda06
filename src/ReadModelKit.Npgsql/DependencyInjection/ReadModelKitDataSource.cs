using global::Npgsql;

namespace ReadModelKit.Npgsql;

/// <summary>The data source ReadModelKit uses, kept apart from any <see cref="NpgsqlDataSource"/> the application registers itself.</summary>
/// <param name="DataSource">The data source.</param>
public sealed record ReadModelKitDataSource(NpgsqlDataSource DataSource);
