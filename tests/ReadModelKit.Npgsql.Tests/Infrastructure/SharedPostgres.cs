using ReadModelKit.Testing.Postgres;

namespace ReadModelKit.Npgsql.Tests.Infrastructure;

/// <summary>One PostgreSQL server for the whole test run (see <see cref="ThrowawayPostgres.SharedAsync"/>), removed when the test process exits.</summary>
internal static class SharedPostgres
{
    public static Task<ThrowawayPostgres> GetAsync() => ThrowawayPostgres.SharedAsync();
}
