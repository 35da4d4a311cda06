using BenchmarkDotNet.Running;
using ReadModelKit.Benchmarks.Apply;

// Run one scenario: dotnet run -c Release --project benchmarks/ReadModelKit.Benchmarks -- --filter '*InboxApply*'
// Check the apply benchmarks write what they claim (fast, no BenchmarkDotNet): ... -- --check
if (args is ["--check"])
{
    return await ApplySelfCheck.RunAsync();
}

// End to end (outbox → runner → read model): dotnet run -c Release --project benchmarks/ReadModelKit.Benchmarks -- end-to-end
if (args.Length > 0 && args[0] == "end-to-end")
{
    return await ReadModelKit.Benchmarks.EndToEnd.EndToEndRun.MainAsync(args);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
