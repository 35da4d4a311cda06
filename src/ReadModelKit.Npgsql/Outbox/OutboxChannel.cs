namespace ReadModelKit.Npgsql.Outbox;

/// <summary>The LISTEN/NOTIFY channel of the outbox: one channel, the payload names the schema and stream that received events.</summary>
internal static class OutboxChannel
{
    /// <summary>The channel name.</summary>
    public const string Name = "readmodelkit_outbox";

    /// <summary>The payload announcing new events of <paramref name="stream"/> in <paramref name="schema"/>.</summary>
    public static string Payload(string schema, string stream) => schema + "/" + stream;
}
