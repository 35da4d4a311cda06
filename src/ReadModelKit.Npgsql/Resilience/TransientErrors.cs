using Npgsql;

namespace ReadModelKit.Npgsql.Resilience;

/// <summary>Which database errors are worth retrying: lost or refused connections, a server shutting down or starting, serialization failures and deadlocks.</summary>
internal static class TransientErrors
{
    public static bool IsTransient(Exception exception) =>
        exception is NpgsqlException { IsTransient: true }
        || exception is PostgresException
        {
            SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.AdminShutdown
                or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections
        }
        || exception is NpgsqlException { InnerException: IOException or System.Net.Sockets.SocketException or EndOfStreamException or TimeoutException };
}
