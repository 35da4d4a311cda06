using BenchmarkDotNet.Running;
using ReadModelKit.Benchmarks.Apply;

// Run one scenario: dotnet run -c Release --project benchmarks/ReadModelKit.Benchmarks -- --filter '*InboxApply*'
// Check the apply benchmarks write what they claim (fast, no BenchmarkDotNet): ... -- --check
if (args is ["--check"])
{
    return await ApplySelfCheck.RunAsync();
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
