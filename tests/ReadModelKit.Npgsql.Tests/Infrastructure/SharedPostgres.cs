using ReadModelKit.PostgresHarness;

namespace ReadModelKit.Npgsql.Tests.Infrastructure;

/// <summary>One PostgreSQL server for the whole test run, started on first use and stopped when the test process exits.</summary>
internal static class SharedPostgres
{
    private static readonly Lazy<Task<PostgresServer>> Server = new(() => PostgresServer.StartAsync());

    static SharedPostgres()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            if (Server.IsValueCreated && Server.Value.IsCompletedSuccessfully)
            {
                Server.Value.Result.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        };
    }

    public static Task<PostgresServer> GetAsync() => Server.Value;
}
