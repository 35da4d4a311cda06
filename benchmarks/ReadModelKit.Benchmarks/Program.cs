using BenchmarkDotNet.Running;

// Run one scenario: dotnet run -c Release --project benchmarks/ReadModelKit.Benchmarks -- --filter '*Apply*'
// End to end (outbox → runner → read model): dotnet run -c Release --project benchmarks/ReadModelKit.Benchmarks -- end-to-end
if (args.Length > 0 && args[0] == "end-to-end")
{
    return await ReadModelKit.Benchmarks.EndToEnd.EndToEndRun.MainAsync(args);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
