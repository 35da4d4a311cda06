using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CaseWorkspace;

/// <summary>
/// The application as a generic host. One registration makes it a ReadModelKit node: the store initializes before anything
/// starts, the case list's runner projects the outbox until shutdown, maintenance runs on a schedule, the health check reports
/// lag and stalls, and <c>host.RunReadModelKitCommandsAsync(args)</c> gives operators their commands.
/// </summary>
public static class CaseWorkspaceHost
{
    public static IHost Build(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace); // stdout stays for command output (--json)
        builder.Logging.AddFilter("ReadModelKit.Npgsql.Apply", LogLevel.Critical); // the demo dead-letters one event on purpose

        builder.Services.AddReadModelKit(kit => kit.AddProjection(new CaseListProjection()))
            .UseNpgsql(connectionString, o =>
            {
                o.Schema = CaseWorkspaceSchema.LibrarySchema;
                o.Map(CaseListContract.Value.Name, CaseListProjection.Mapping);
            })
            .AddHosting(builder.Configuration.GetSection("ReadModelKit:Hosting"), o =>
            {
                o.Runner.PartitionCount = 4;
                o.Runner.NodeId = "case-workspace-1";
            });
        builder.Services.AddHealthChecks().AddReadModelKit();
        return builder.Build();
    }
}
