using ReadModelKit.Npgsql.Runner;

namespace ReadModelKit.Npgsql.Tests.Runner;

public sealed class ProjectionRunnerOptionsTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        Assert.Empty(new ProjectionRunnerOptions().Validate());
        Assert.Empty(new NpgsqlReadModelOptions().Validate());
    }

    [Fact]
    public void Every_bad_setting_is_named_with_its_fix()
    {
        var errors = new ProjectionRunnerOptions
        {
            NodeId = " ",
            PartitionCount = 2000,
            BatchSize = -1,
            MinIdleDelay = TimeSpan.FromSeconds(2),
            MaxIdleDelay = TimeSpan.FromSeconds(1),
            LeaseDuration = TimeSpan.FromSeconds(3),
            HeartbeatInterval = TimeSpan.FromSeconds(2),
            IdleCheckpointInterval = TimeSpan.FromSeconds(-1),
            MaxRetryDelay = TimeSpan.FromMilliseconds(10),
        }.Validate();

        Assert.Equal(
            [
                "NodeId must be null (the machine name) or 1-200 characters.",
                "PartitionCount 2000 must be between 1 and 1024.",
                "BatchSize -1 must be at least 1.",
                "MinIdleDelay 00:00:02 must be positive and MaxIdleDelay 00:00:01 at least as long.",
                "HeartbeatInterval 00:00:02 must be positive and at most a third of LeaseDuration 00:00:03, so one late heartbeat does not lose the leases.",
                "MaxRetryDelay 00:00:00.0100000 must be at least 100 ms.",
                "IdleCheckpointInterval -00:00:01 must not be negative.",
            ],
            errors);
    }

    [Fact]
    public void A_missing_outbox_section_is_named()
    {
        Assert.Equal(["Outbox is null: leave the default."], new NpgsqlReadModelOptions { Outbox = null! }.Validate());
    }
}
