using System.Text;
using FsCheck;
using FsCheck.Fluent;
using ReadModelKit.Events;
using ReadModelKit.Testing.Harness;
using ReadModelKit.Testing.Postgres;

namespace ReadModelKit.Testing.Laws;

/// <summary>
/// Checks a projection against the <see cref="ProjectionLaw"/>s as FsCheck properties, applying generated histories through a
/// real <see cref="Npgsql.NpgsqlReadModelStore"/> on throwaway schemas. A broken law fails with <see cref="ProjectionLawException"/>,
/// whose message prints the history shrunk to a minimal one, how it was delivered, and the rows that differ.
/// </summary>
public static class ProjectionLaws
{
    /// <summary>Every law, in the order <see cref="CheckAllAsync"/> checks them.</summary>
    public static IReadOnlyList<ProjectionLaw> All { get; } = Enum.GetValues<ProjectionLaw>();

    /// <summary>Checks every law; all broken laws are reported together.</summary>
    /// <param name="setup">The projection, its mapping and its table.</param>
    /// <param name="histories">Histories of the projection's events (for example from <see cref="EventHistories.FromExamples(IReadOnlyList{EventEnvelope}, string, int, int)"/>): distinct event ids, distinct versions per ordering key.</param>
    /// <param name="options">How many cases; default <see cref="ProjectionLawOptions"/>.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <exception cref="ProjectionLawException">A law does not hold.</exception>
    public static Task CheckAllAsync(ProjectionSetup setup, Gen<EventEnvelope[]> histories, ProjectionLawOptions? options = null, CancellationToken cancellationToken = default) =>
        CheckAsync(All, setup, histories, options, cancellationToken);

    /// <summary>Checks one law.</summary>
    /// <param name="law">The law.</param>
    /// <param name="setup">The projection, its mapping and its table.</param>
    /// <param name="histories">Histories of the projection's events: distinct event ids, distinct versions per ordering key.</param>
    /// <param name="options">How many cases; default <see cref="ProjectionLawOptions"/>.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <exception cref="ProjectionLawException">The law does not hold.</exception>
    public static Task CheckAsync(ProjectionLaw law, ProjectionSetup setup, Gen<EventEnvelope[]> histories, ProjectionLawOptions? options = null, CancellationToken cancellationToken = default) =>
        CheckAsync([law], setup, histories, options, cancellationToken);

    private static async Task CheckAsync(IReadOnlyList<ProjectionLaw> laws, ProjectionSetup setup, Gen<EventEnvelope[]> histories, ProjectionLawOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(histories);
        options ??= new ProjectionLawOptions();
        options.Validate();
        var schema = options.ServerConnectionString is { } server
            ? await PostgresTestSchema.CreateAsync(server, cancellationToken).ConfigureAwait(false)
            : await PostgresTestSchema.CreateAsync(cancellationToken).ConfigureAwait(false);
        await using (schema.ConfigureAwait(false))
        {
            var run = new LawRun(
                await ProjectionSandbox.CreateAsync(schema, setup, "oracle", cancellationToken).ConfigureAwait(false),
                await ProjectionSandbox.CreateAsync(schema, setup, "subject", cancellationToken).ConfigureAwait(false),
                await ProjectionSandbox.CreateAsync(schema, setup, "rebuild", cancellationToken).ConfigureAwait(false));
            var name = setup.Create().Contract.Name;
            var broken = new List<ProjectionLaw>();
            var report = new StringBuilder();
            foreach (var law in laws)
            {
                var failure = await Task.Run(() => RunProperty(run, law, histories, options, cancellationToken), cancellationToken).ConfigureAwait(false);
                if (failure is not null)
                {
                    broken.Add(law);
                    report.AppendLine().AppendLine($"Law {law} is broken: {Describe(law)}").Append(failure);
                }
            }

            if (broken.Count > 0)
            {
                throw new ProjectionLawException(name, broken, $"Projection '{name}' breaks {string.Join(", ", broken)}.{report}");
            }
        }
    }

    /// <summary>Runs the property; returns the report of the shrunk counterexample, or null when the law held for every case.</summary>
    private static string? RunProperty(LawRun run, ProjectionLaw law, Gen<EventEnvelope[]> histories, ProjectionLawOptions options, CancellationToken cancellationToken)
    {
        var cases =
            from generated in histories
            from permutation in Gen.Shuffle(generated)
            from duplicates in Gen.SubListOf(generated)
            from sizes in Gen.NonEmptyListOf(Gen.Choose(1, options.MaxBatchSize))
            select LawCase.From(generated, permutation, duplicates.ToArray(), sizes.ToArray());
        string? lastFailure = null;
        var tombstonesBefore = run.CasesWithTombstones;
        var property = Prop.ForAll(Arb.From(cases, c => c.Shrink()), c =>
        {
            var failure = Task.Run(async () =>
            {
                try
                {
                    return await run.CheckAsync(law, c, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    return $"History ({c.History.Length} event(s)):{Environment.NewLine}{Text.EventText.Lines(c.History)}Applying it threw {ex.GetType().Name}: {ex.Message}{Environment.NewLine}";
                }
            }, cancellationToken).GetAwaiter().GetResult();
            if (failure is not null)
            {
                lastFailure = failure;
            }

            return failure is null;
        });
        try
        {
            Check.One(Config.QuickThrowOnFailure.WithMaxTest(options.Cases).WithQuietOnSuccess(true), property);
        }
        catch (Exception ex) when (lastFailure is not null && ex is not OperationCanceledException)
        {
            var summary = ex.Message.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("Falsifiable", StringComparison.Ordinal)) ?? "Falsifiable.";
            return $"{summary}{Environment.NewLine}Shrunk to:{Environment.NewLine}{lastFailure}";
        }

        if (law == ProjectionLaw.NoResurrection && run.CasesWithTombstones == tombstonesBefore)
        {
            return $"Not checked: in {options.Cases} generated case(s) no row ever ended with a tombstone. Make the generator produce delete events (EventHistories.FromExamples with a delete example does).{Environment.NewLine}";
        }

        return null;
    }

    private static string Describe(ProjectionLaw law) => law switch
    {
        ProjectionLaw.Idempotence => "delivering events again must not change the rows.",
        ProjectionLaw.OrderInsensitivity => "the rows must not depend on the order events arrive in; the version decides.",
        ProjectionLaw.NoResurrection => "a row whose newest change is a delete must never be shown.",
        ProjectionLaw.BatchSplitInvariance => "the rows must not depend on how events are split into batches.",
        ProjectionLaw.RebuildEquivalence => "replaying the history from scratch must give the rows incremental application gave.",
        _ => law.ToString(),
    };
}
