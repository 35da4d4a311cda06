using BenchmarkDotNet.Running;

// Run one scenario: dotnet run -c Release --project benchmarks/ReadModelKit.Benchmarks -- --filter '*Apply*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
